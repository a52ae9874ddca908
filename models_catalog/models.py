"""Warehouse connections (Sources) and the SQL queries over them (Models)."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from syncapp.crypto import EncryptedField
from syncapp.models import WorkspaceOwned


class SourceKind(models.TextChoices):
    POSTGRESQL = "postgresql", "PostgreSQL"
    SQLITE = "sqlite", "SQLite"
    DUCKDB = "duckdb", "DuckDB"
    MYSQL = "mysql", "MySQL / MariaDB"
    SQLALCHEMY = "sqlalchemy", "Other (SQLAlchemy URL)"


# Kinds whose database is a file on this machine rather than a server.
FILE_KINDS = {SourceKind.SQLITE, SourceKind.DUCKDB}


def file_source_problem(database: str) -> str:
    """Why this SQLite or DuckDB file may not be a source, or "" if it may.

    Only files under SYNCAPP_FILE_SOURCES_DIRS can be read, and never syncapp's own database:
    otherwise anyone who may create a source could read any file the server can.
    """
    path = Path(database).expanduser().resolve()
    allowed = [Path(directory).expanduser().resolve() for directory in settings.FILE_SOURCES_DIRS]
    own_database = Path(str(settings.DATABASES["default"]["NAME"])).expanduser().resolve()
    if path == own_database or not any(path.is_relative_to(directory) for directory in allowed):
        places = ", ".join(str(directory) for directory in allowed) or "(none configured)"
        return f"SQLite and DuckDB files must be inside {places} (SYNCAPP_FILE_SOURCES_DIRS)."
    return ""


DRIVERS = {
    SourceKind.POSTGRESQL: "postgresql+psycopg",
    SourceKind.SQLITE: "sqlite",
    SourceKind.DUCKDB: "duckdb",
    SourceKind.MYSQL: "mysql+pymysql",
}


class Source(WorkspaceOwned):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    database = models.CharField(
        max_length=1024, blank=True, help_text="Database name; for SQLite and DuckDB, the file's path."
    )
    username = models.CharField(max_length=255, blank=True)
    password = EncryptedField(null=True, blank=True)
    url = models.CharField(
        "SQLAlchemy URL",
        max_length=1024,
        blank=True,
        help_text="For other warehouses: dialect+driver://user@host/db, without the password.",
    )
    options = models.JSONField(default=dict, blank=True, help_text="Extra query parameters for the driver.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_source_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == SourceKind.SQLALCHEMY:
            if not self.url:
                errors["url"] = "Enter the SQLAlchemy URL of the warehouse."
            else:
                try:
                    parsed = make_url(self.url)
                except ArgumentError:
                    errors["url"] = "This is not a SQLAlchemy URL (dialect+driver://user@host/database)."
                else:
                    if parsed.password:
                        errors["url"] = (
                            "Put the password in the password field, where it is stored encrypted."
                        )
        elif self.kind in FILE_KINDS:
            if not self.database:
                errors["database"] = "Enter the path of the database file."
            elif problem := file_source_problem(self.database):
                errors["database"] = problem
        elif self.kind:
            if not self.host:
                errors["host"] = "Enter the warehouse's host name."
            if not self.database:
                errors["database"] = "Enter the database name."
        if not isinstance(self.options, dict):
            errors["options"] = 'Options must be a JSON object, such as {"sslmode": "require"}.'
        if errors:
            raise ValidationError(errors)

    def sqlalchemy_url(self) -> URL:
        """The connection URL, password included: hand it to SQLAlchemy, never to a log or a page."""
        password = self.password.reveal() if self.password else None
        if self.kind == SourceKind.SQLALCHEMY:
            url = make_url(self.url)
            return url.set(password=password) if password else url
        if self.kind in FILE_KINDS:
            if problem := file_source_problem(self.database):
                raise ValueError(problem)  # checked on save too; this guards rows saved otherwise
            return URL.create(DRIVERS[self.kind], database=self.database, query=self.options or {})
        return URL.create(
            DRIVERS[self.kind],
            username=self.username or None,
            password=password,
            host=self.host,
            port=self.port,
            database=self.database,
            query=self.options or {},
        )


class Model(WorkspaceOwned):
    """A SQL query over a source, whose rows a sync sends to a destination."""

    source = models.ForeignKey(Source, on_delete=models.RESTRICT, related_name="models")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    sql = models.TextField("SQL")
    primary_key = models.CharField(max_length=255, help_text="The column that identifies a row.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "slug"], name="unique_model_slug")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source_id:
            self.check_same_workspace(source=self.source)
        if not self.sql.strip():
            raise ValidationError({"sql": "Enter the SQL query of the model."})
        if not self.primary_key.strip():
            raise ValidationError({"primary_key": "Name the column that identifies each row."})
