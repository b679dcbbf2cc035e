"""The web app: a FastAPI server over the same Python API as the CLI.

    from cxloop.web import create_app
    app = create_app("./ws")            # uvicorn runs it; `cxloop serve` does that for you

Sign-in (sessions with CSRF, rate-limited logins), API tokens and the who-may-call-what
contract (``cxloop.web.deps``) live here; the JSON API is ``cxloop.web.api``.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
