"""Talking to warehouses: engines for sources, and the connection test."""

from dataclasses import dataclass

import sqlalchemy
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

from models_catalog.models import Source

CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str


def source_engine(*, source: Source, extra_connect_args: dict | None = None) -> sqlalchemy.Engine:
    url = source.sqlalchemy_url()
    server = url.get_backend_name() in ("postgresql", "mysql")
    connect_args = ({"connect_timeout": CONNECT_TIMEOUT_SECONDS} if server else {}) | (
        extra_connect_args or {}
    )
    return sqlalchemy.create_engine(url, connect_args=connect_args, poolclass=sqlalchemy.pool.NullPool)


def source_test_connection(*, source: Source) -> ConnectionResult:
    """Connect and run a trivial query; the message names what went wrong, never the password."""
    try:
        engine = source_engine(source=source)
    except NoSuchModuleError as exc:
        return ConnectionResult(False, f"This kind of warehouse needs a driver that is not installed: {exc}")
    except (SQLAlchemyError, ValueError) as exc:
        return ConnectionResult(False, _without_secret(f"The connection settings are invalid: {exc}", source))
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except ModuleNotFoundError as exc:
        return ConnectionResult(
            False, f"This kind of warehouse needs a driver that is not installed: {exc.name}"
        )
    except DBAPIError as exc:
        return ConnectionResult(False, _without_secret(f"Could not connect: {exc.orig}".strip(), source))
    except SQLAlchemyError as exc:
        return ConnectionResult(False, _without_secret(f"Could not connect: {exc}", source))
    finally:
        engine.dispose()
    return ConnectionResult(True, "Connected.")


def _without_secret(message: str, source: Source) -> str:
    # Drivers sometimes echo their connection string; the password must not reach the user or a log.
    if source.password:
        message = message.replace(source.password.reveal(), "••••••••")
    return message
