"""Connections to the app store, and database errors turned into cxloop's own.

SQLite (a file in the workspace) is the default: foreign keys are enforced, the journal
is WAL so readers never block the writer, and a writer waits up to 30 s for a lock.
PostgreSQL (``postgresql+psycopg://...``) gets a small checked pool.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm.exc import StaleDataError

from ...errors import RecordConflict, StoreError

#: Seconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_SECONDS = 30
#: PostgreSQL error code of a unique-constraint violation.
PG_UNIQUE_VIOLATION = "23505"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, or StoreError naming what is wrong with it."""
    try:
        return make_url(url)
    except ArgumentError as e:
        raise StoreError(f"app store URL {url!r} is not valid: {e}") from None


def safe_url(url: URL) -> str:
    """The URL as text with any password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> Engine:
    """An engine for the app store with pool and connection settings fit for ``url``."""
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    else:
        kwargs.update(pool_size=5, max_overflow=10, pool_recycle=1800, pool_timeout=30)
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError as e:
        raise StoreError(f"app store {safe_url(url)}: unknown database kind ({e})") from None
    except ModuleNotFoundError as e:
        hint = " (install cxloop[postgres])" if url.get_backend_name() == "postgresql" else ""
        raise StoreError(
            f"app store {safe_url(url)}: database driver {e.name!r} is not installed{hint}"
        ) from None
    except (ArgumentError, TypeError) as e:
        raise StoreError(f"app store {safe_url(url)}: {e}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # answers 'memory' for in-memory stores
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL
    finally:
        cursor.close()


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a row because a unique key already exists."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == PG_UNIQUE_VIOLATION:
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def translate(error: Exception, where: str) -> Exception:
    """cxloop's own error for a database error met while doing ``where``.

    A lost race on a versioned record or a duplicate key is a ``RecordConflict``; anything
    else the database refused or could not do is a ``StoreError``. Other exceptions are
    returned unchanged.
    """
    if isinstance(error, StaleDataError):
        return RecordConflict(
            f"{where}: the record was changed by someone else since it was read; "
            "reload it and try again"
        )
    if isinstance(error, IntegrityError):
        if is_unique_violation(error):
            return RecordConflict(f"{where}: a record with the same key already exists")
        return StoreError(f"{where}: the database refused the change: {_first_line(error)}")
    if isinstance(error, OperationalError):
        return StoreError(f"{where}: the app store cannot be used: {_first_line(error)}")
    if isinstance(error, (DBAPIError, SQLAlchemyError)):
        return StoreError(f"{where}: {_first_line(error)}")
    return error


def _first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__
