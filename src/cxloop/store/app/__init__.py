"""The app store: the app's own records (users, settings people edit, the audit trail).

SQLAlchemy 2 with Alembic migrations; SQLite (a file in the workspace) by default,
PostgreSQL by URL (``postgresql+psycopg://user@host/db``, install ``cxloop[postgres]``)::

    store = AppStore("sqlite:///ws/app.sqlite")
    store.upgrade()                                   # create or migrate the tables
    store.add_user(username="amira", display_name="Amira K.", role="team_leader",
                   team_id="T1", actor="admin")
    s = store.set_setting("targets.nps", 45, actor="amira")
    store.set_setting("targets.nps", 50, actor="ben", expected_version=s.version)
    store.audit_trail("setting", "targets.nps")       # before/after of every change
    with store.session() as session:                  # several changes, one transaction
        ...

Records come back detached: read their attributes freely; change them through these
functions (or inside ``session()``), never by assigning to a returned object. A change
that lost a race with someone else's raises ``RecordConflict``; nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ...errors import CxloopError
from . import (
    app_settings,
    audit,
    migrate,
    models_web,  # noqa: F401  (sign-in tables join Base.metadata)
    users,
)
from .engine import make_engine, parse_url, safe_url, translate
from .models import AuditEvent, Base, Role, Setting, User

__all__ = ["AppStore", "AuditEvent", "Base", "Role", "Setting", "User"]


class AppStore:
    """One SQLAlchemy engine on the workspace's app database."""

    def __init__(self, url: str) -> None:
        self.url = parse_url(url)
        self.engine: Engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """The database kind: ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    # -- schema -----------------------------------------------------------------
    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the tables up to ``revision``; running it again does nothing."""
        migrate.upgrade(self.engine, revision)

    def downgrade(self, revision: str) -> None:
        """Migrate the tables back to ``revision`` (``"base"`` drops them all)."""
        migrate.downgrade(self.engine, revision)

    def current_revision(self) -> str | None:
        """The schema revision of the database (None before the first upgrade)."""
        return migrate.current_revision(self.engine)

    @staticmethod
    def head_revision() -> str:
        """The newest schema revision this version of cxloop ships."""
        return migrate.head_revision()

    # -- transactions -----------------------------------------------------------
    @contextmanager
    def session(self, where: str = "app store") -> Iterator[Session]:
        """A session in one transaction: committed if the block succeeds, else rolled back.

        Database errors leave as cxloop errors: a lost race on a versioned record or a
        duplicate key as ``RecordConflict``, anything else as ``StoreError``.
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException as e:
            _rollback_quietly(session)
            if isinstance(e, CxloopError):
                raise
            error = translate(e, where)
            if error is e:
                raise
            raise error from e
        finally:
            session.close()

    # -- users ------------------------------------------------------------------
    def add_user(
        self,
        *,
        username: str,
        display_name: str,
        role: Role | str,
        actor: str,
        email: str | None = None,
        employee_id: str | None = None,
        team_id: str | None = None,
        password_hash: str | None = None,
        active: bool = True,
    ) -> User:
        """Add a user (audited); RecordConflict if the username or employee is taken."""
        with self.session(f"adding user {username!r}") as session:
            return users.add_user(
                session,
                username=username,
                display_name=display_name,
                role=role,
                actor=actor,
                email=email,
                employee_id=employee_id,
                team_id=team_id,
                password_hash=password_hash,
                active=active,
            )

    def get_user(self, username: str) -> User | None:
        """The user with this username, or None."""
        with self.session() as session:
            return users.get_user(session, username)

    def list_users(
        self, *, role: Role | str | None = None, team_id: str | None = None
    ) -> list[User]:
        """Users by username, optionally only one role and/or one team."""
        with self.session() as session:
            return users.list_users(session, role=role, team_id=team_id)

    # -- settings people edit ---------------------------------------------------
    def set_setting(
        self, key: str, value: Any, *, actor: str, expected_version: int | None = None
    ) -> Setting:
        """Create or change a setting (audited, before and after).

        Pass the ``version`` you read as ``expected_version`` (0: must be new); if it has
        moved on, RecordConflict and nothing changes.
        """
        with self.session(f"setting {key!r}") as session:
            return app_settings.set_setting(
                session, key, value, actor=actor, expected_version=expected_version
            )

    def get_setting(self, key: str) -> Setting | None:
        """The setting (value, version, who changed it last), or None."""
        with self.session() as session:
            return app_settings.get_setting(session, key)

    # -- audit trail ------------------------------------------------------------
    def record_audit(
        self,
        *,
        actor: str,
        entity: str,
        entity_id: str | int,
        action: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Write one audit event in its own transaction.

        Code that changes a record should rather call ``audit.add_event`` on its own
        session, so the change and its event are written together.
        """
        with self.session("recording an audit event") as session:
            return audit.add_event(
                session,
                actor=actor,
                entity=entity,
                entity_id=entity_id,
                action=action,
                before=before,
                after=after,
            )

    def audit_trail(self, entity: str, entity_id: str | int) -> list[AuditEvent]:
        """Every audit event of one record, oldest first."""
        with self.session() as session:
            return audit.events(session, entity, entity_id)

    # -- lifetime ---------------------------------------------------------------
    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> AppStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AppStore({safe_url(self.url)!r})"


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # the connection may be gone; the transaction is over either way
        session.invalidate()
