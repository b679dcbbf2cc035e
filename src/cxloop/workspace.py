"""A workspace: one folder with cxloop.toml, an analytics store and an app store.

    ws = Workspace.init("./ws")        # new, empty
    ws = Workspace.open("./ws")        # existing
    ws.analytics                       # AnalyticsStore (Ibis)
    ws.app                             # AppStore (SQLAlchemy)

Nothing is opened until it is first used.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from .errors import WorkspaceExists, WorkspaceNotFound
from .settings import Settings
from .settings_file import to_toml

SETTINGS_FILE = "cxloop.toml"
ANALYTICS_FILE = "analytics.duckdb"
APP_FILE = "app.sqlite"
LOG_DIR = "logs"
ENV_VAR = "CXLOOP_WORKSPACE"


class Workspace:
    """An opened workspace folder."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings

    # -- creation and opening ---------------------------------------------------
    @classmethod
    def init(cls, path: str | Path, name: str | None = None, force: bool = False) -> Workspace:
        """Create a new empty workspace at ``path`` and its stores."""
        path = Path(path)
        toml = path / SETTINGS_FILE
        if toml.exists() and not force:
            raise WorkspaceExists(f"{path}: a workspace already exists here")
        path.mkdir(parents=True, exist_ok=True)
        if force:
            app_wal = (APP_FILE + "-wal", APP_FILE + "-shm")  # SQLite WAL files of the app store
            for f in (ANALYTICS_FILE, ANALYTICS_FILE + ".wal", APP_FILE, *app_wal):
                (path / f).unlink(missing_ok=True)
        settings = Settings()
        settings.workspace.name = name or path.resolve().name
        toml.write_text(to_toml(settings), encoding="utf-8")
        ws = cls(path, settings)
        ws.log_dir.mkdir(exist_ok=True)
        ws.analytics.ensure_schema()
        ws.app  # noqa: B018 - creates the app store and applies its migrations
        return ws

    @classmethod
    def open(cls, path: str | Path | None = None) -> Workspace:
        """Open the workspace at ``path`` (or $CXLOOP_WORKSPACE)."""
        if path is None:
            path = os.environ.get(ENV_VAR)
        if not path:
            raise WorkspaceNotFound(f"no workspace given: pass --workspace or set {ENV_VAR}")
        path = Path(path)
        toml = path / SETTINGS_FILE
        if not toml.is_file():
            raise WorkspaceNotFound(
                f"{path}: not a cxloop workspace (no {SETTINGS_FILE}); create one with "
                f"`cxloop init {path}`"
            )
        ws = cls(path, Settings.load(toml))
        ws.log_dir.mkdir(exist_ok=True)
        return ws

    # -- parts ------------------------------------------------------------------
    @property
    def log_dir(self) -> Path:
        return self.path / LOG_DIR

    @property
    def analytics_url(self) -> str:
        return (
            self.settings.stores.analytics_url
            or f"duckdb://{(self.path / ANALYTICS_FILE).resolve()}"
        )

    @property
    def app_url(self) -> str:
        return self.settings.stores.app_url or f"sqlite:///{(self.path / APP_FILE).resolve()}"

    @cached_property
    def analytics(self):  # -> AnalyticsStore
        from .store.analytics import AnalyticsStore

        store = AnalyticsStore(self.analytics_url)
        store.ensure_schema()
        return store

    @cached_property
    def app(self):  # -> AppStore
        """The app store, its migrations applied (a workspace made by an older cxloop is
        brought up to date the first time it is used)."""
        from .store.app import AppStore

        store = AppStore(self.app_url)
        store.upgrade()
        return store

    def close(self) -> None:
        if "analytics" in self.__dict__:
            self.analytics.close()
            del self.__dict__["analytics"]
        if "app" in self.__dict__:
            self.app.close()
            del self.__dict__["app"]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"
