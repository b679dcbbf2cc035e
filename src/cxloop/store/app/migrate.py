"""Schema migrations of the app store, run from code (no alembic.ini needed).

Each upgrade or downgrade runs in one transaction on one connection of the store's own
engine, so it either happens completely or not at all, and in-memory SQLite works.
On SQLite the steps follow SQLite's own recipe for schema changes: foreign keys off,
``BEGIN IMMEDIATE`` (so two processes never migrate at once), the migrations, a
``PRAGMA foreign_key_check``, commit, foreign keys back on. On PostgreSQL an advisory
lock keeps two processes from migrating at once.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text

from ...errors import StoreError
from .engine import translate

#: Where the migration scripts live, as a package resource (works when installed).
SCRIPT_LOCATION = "cxloop.store.app:migrations"
#: Key of the PostgreSQL advisory lock held while migrating ("cxloop" as a number).
PG_MIGRATION_LOCK = 0x63786C6F6F70


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code; ``connection`` is the one migrations run on."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this version of cxloop knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the app store has no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at; None for a database never upgraded."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except Exception as e:
        raise translate(e, "reading the app store's schema revision") from e


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    _run(engine, lambda config: command.upgrade(config, revision), f"upgrading to {revision}")


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``"base"``: no tables at all)."""
    _run(engine, lambda config: command.downgrade(config, revision), f"downgrading to {revision}")


def _run(engine: Engine, step: Callable[[Config], None], what: str) -> None:
    where = f"app store: {what}"
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _run_sqlite(connection, step, where)
            else:
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
                        )
                    step(alembic_config(connection))
    except CommandError as e:
        raise StoreError(f"{where}: {e}") from e
    except StoreError:
        raise
    except Exception as e:
        raise translate(e, where) from e


def _run_sqlite(connection: Connection, step: Callable[[Config], None], where: str) -> None:
    # pysqlite opens transactions only before INSERT/UPDATE/DELETE; an explicit BEGIN
    # makes the DDL part of the transaction too, so a failed migration leaves nothing.
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            step(alembic_config(connection))
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(
                    f"{where}: the migration would break {len(broken)} reference(s) "
                    f"between tables (first in table {broken[0][0]!r}); nothing was changed"
                )
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
