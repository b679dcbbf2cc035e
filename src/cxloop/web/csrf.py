"""Cross-site request forgery protection.

* Signed in with a cookie: every POST, PUT, PATCH and DELETE must carry the session's
  synchronizer token, as the form field ``csrf_token`` or the header ``X-CSRF-Token``;
  otherwise 403. API calls with a bearer token are exempt: no cookie rides along, so a
  third-party page cannot make them on someone's behalf.
* The login form has no session yet: a random value is set as the ``cxloop_login_csrf``
  cookie and repeated in the form (double submit); they must match.
"""

from __future__ import annotations

import secrets

from fastapi import Request

from ..errors import NotPermitted

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "cxloop_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def submitted(request: Request) -> str | None:
    """The CSRF token the request carries: the header, else the form field."""
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").split(";")[0].strip() in FORM_TYPES:
        value = (await request.form()).get(FIELD)
        return value if isinstance(value, str) else None
    return None


def matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; False when either is missing."""
    return bool(expected) and bool(given) and secrets.compare_digest(expected, given)


async def check_session_request(request: Request, expected: str) -> None:
    """NotPermitted (403) if a state-changing request lacks the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    if not matches(expected, await submitted(request)):
        raise NotPermitted(
            f"missing or wrong CSRF token: send the form field {FIELD!r} "
            f"or the header {HEADER!r} with the value from your session"
        )


async def check_login_form(request: Request) -> None:
    """NotPermitted (403) unless the login form's token matches its cookie."""
    form = await request.form()
    given = form.get(FIELD)
    if not matches(request.cookies.get(LOGIN_COOKIE), given if isinstance(given, str) else None):
        raise NotPermitted("the sign-in form expired; reload the page and sign in again")
