"""Alembic environment of the app store.

``AppStore.upgrade()`` builds the Alembic config in code and hands over an open
connection (``config.attributes["connection"]``), so migrations run inside the caller's
transaction and in-memory SQLite works. Without a connection it uses the config's
``sqlalchemy.url`` (or ``-x url=...``); with ``sql=True`` it writes the SQL for a DBA::

    cfg = cxloop.store.app.migrate.alembic_config()
    cfg.set_main_option("sqlalchemy.url", "postgresql+psycopg://...")
    alembic.command.upgrade(cfg, "head", sql=True)
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from cxloop.errors import StoreError
from cxloop.store.app.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise StoreError("app store migrations: no database given (set sqlalchemy.url)")
    return url


def run_offline() -> None:
    """Write the SQL of the migrations instead of running them (``--sql``)."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the connection given, or on a new one from ``-x url=``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
