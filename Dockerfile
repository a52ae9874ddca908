FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SYNCAPP_DATA_DIR=/data SYNCAPP_STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY pyproject.toml README.md ./
COPY syncapp syncapp
COPY models_catalog models_catalog
COPY destinations destinations
COPY netsuite netsuite
COPY syncs syncs
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --home /app syncapp && mkdir -p /data && chown syncapp /data \
    && SYNCAPP_SECRET_KEY=build SYNCAPP_ENCRYPTION_KEYS=$(python -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
       python manage.py collectstatic --noinput -v0
USER syncapp
EXPOSE 8000
CMD ["gunicorn", "syncapp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
