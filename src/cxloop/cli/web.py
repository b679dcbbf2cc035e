"""`cxloop serve` (the web app and its API), `cxloop users` (who may sign in) and
`cxloop tokens` (API tokens): thin shells over cxloop.web."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import CxloopError
from ..store.app.models import Role
from ..workspace import ENV_VAR
from . import app
from .common import (
    Format,
    FormatOption,
    WorkspaceOption,
    console,
    emit,
    fail,
    handle_errors,
    open_workspace,
)

users_app = typer.Typer(help="People who may sign in to the web app.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for scripts and integrations.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

ActorOption = Annotated[
    str, typer.Option(help="Who is making the change (written to the audit trail).")
]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]
ROLES = ", ".join(r.value for r in Role)


def _password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise fail("no terminal to ask for the password: pass --password-stdin")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
@handle_errors
def serve(
    workspace: WorkspaceOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Listen on an address other machines can reach (put TLS in front and set "
            "CXLOOP_SECURE_COOKIES=1). Without it only a loopback --host is accepted.",
        ),
    ] = False,
) -> None:
    """Run the web app and its JSON API (docs at /api/docs); prints the address and the
    demo's sign-ins. Listens on this machine only unless --allow-remote is given.

    Example: cxloop serve --workspace ./demo --port 8000
    """
    import uvicorn

    from ..web.auth import demo_logins

    if not is_loopback(host) and not allow_remote:
        raise fail(f"--host {host} can be reached from other machines; pass --allow-remote "
                   "to mean it (and serve it over https)")  # fmt: skip
    ws = open_workspace(workspace)
    if workers > 1 and ws.analytics_url.startswith("duckdb"):
        raise fail("a DuckDB analytics store can be opened by one process only: use --workers 1 "
                   "or a PostgreSQL analytics store ([stores] analytics_url)")  # fmt: skip
    logins = demo_logins(ws.app)
    path = str(ws.path.resolve())
    ws.close()
    shown = f"[{host}]" if ":" in host else host
    console.print(f"cxloop serving {escape(path)}\n  open http://{shown}:{port}/  "
                  f"(API docs: http://{shown}:{port}/api/docs); Ctrl-C stops it",
                  highlight=False, soft_wrap=True)  # fmt: skip
    if logins:
        rows = [{"username": u.username, "password": p, "role": u.role.value,
                 "who": u.display_name} for u, p in logins]  # fmt: skip
        emit(rows, Format.table, title="Demo sign-ins")
    os.environ[ENV_VAR] = path
    try:
        uvicorn.run("cxloop.web.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="info", proxy_headers=False)  # fmt: skip
    except CxloopError:
        raise
    except KeyboardInterrupt:  # uvicorn handles Ctrl-C itself; this is a second one
        pass


@users_app.command("add")
@handle_errors
def users_add(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: username).")] = None,
    employee: Annotated[
        str | None, typer.Option(help="Their employee id (links them to their feedback).")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Their team (default: the employee's).")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    password_stdin: PasswordStdin = False,
    actor: ActorOption = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user who can sign in; asks for the password (twice) unless --password-stdin.

    Example: cxloop users add amira --role team_leader --employee E00021 --name "Amira K."
    """
    from ..web.auth import add_account

    ws = open_workspace(workspace)
    password = _password(password_stdin, "Password")
    user = add_account(ws, username=username, display_name=name or username, role=role,
                       password=password, actor=actor, employee_id=employee, team_id=team,
                       email=email)  # fmt: skip
    console.print(f"Added {escape(user.username)} ({user.role.value}"
                  + (f", team {escape(user.team_id)}" if user.team_id else "") + ")",
                  highlight=False)  # fmt: skip


@users_app.command("list")
@handle_errors
def users_list(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Everyone who has an account, with their role, employee and team.

    Example: cxloop users list --format csv
    """
    users = open_workspace(workspace).app.list_users()
    rows = [{**u.to_dict(), "password": u.password_hash is not None} for u in users]
    for row in rows:
        row.pop("id")
    emit(rows, fmt, title=f"{len(rows):,} users")


@users_app.command("passwd")
@handle_errors
def users_passwd(
    username: Annotated[str, typer.Argument(help="Whose password.")],
    password_stdin: PasswordStdin = False,
    actor: ActorOption = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Set a user's password; signs them out everywhere.

    Example: cxloop users passwd amira
    """
    from ..web.auth import change_password

    ws = open_workspace(workspace)
    ended = change_password(ws.app, username, _password(password_stdin, "New password"),
                            actor=actor)  # fmt: skip
    console.print(f"Password of {escape(username)} changed; {ended} session(s) signed out",
                  highlight=False)  # fmt: skip


@tokens_app.command("create")
@handle_errors
def tokens_create(
    user: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(help="read, write, ingest or admin (repeatable; default read)."),
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Expire after this many days (default: never).")
    ] = None,
    actor: ActorOption = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Create an API token and print it once (only its hash is kept).

    Example: cxloop tokens create --user ops --name "nightly ingest" --scope ingest --expires-days 90
    """
    from ..web import tokens

    ws = open_workspace(workspace)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_days)
               if expires_days else None)  # fmt: skip
    secret, token = tokens.create(ws.app, username=user, name=name, scopes=scope or ["read"],
                                  actor=actor,
                                  expires_at=expires)  # fmt: skip
    console.print(f"Token {token.id} for {escape(token.username)} "
                  f"({', '.join(token.scopes)}); shown once, keep it secret:", highlight=False)  # fmt: skip
    sys.stdout.write(secret + "\n")


@tokens_app.command("list")
@handle_errors
def tokens_list(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """API tokens (never their secret), newest first, with when they were last used.

    Example: cxloop tokens list --user ops
    """
    from ..web import tokens

    rows = []
    for t in tokens.list_tokens(open_workspace(workspace).app, username=user):
        row = t.to_dict()
        row["scopes"] = " ".join(row["scopes"])
        for key in ("created_at", "last_used_at", "expires_at", "revoked_at"):
            row[key] = row[key].strftime("%Y-%m-%d %H:%M") if row[key] else None
        rows.append(row)
    emit(rows, fmt, title=f"{len(rows):,} tokens")


@tokens_app.command("revoke")
@handle_errors
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see cxloop tokens list).")],
    actor: ActorOption = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API token; it stops working at once.

    Example: cxloop tokens revoke 3
    """
    from ..web import tokens

    t = tokens.revoke(open_workspace(workspace).app, token_id, actor=actor)
    console.print(f"Token {t.id} ({escape(t.name)}) revoked", highlight=False)
