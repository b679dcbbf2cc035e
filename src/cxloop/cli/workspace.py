"""`cxloop init` and `cxloop settings`: create a workspace and show its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings_file import describe, plain_setting
from ..workspace import Workspace
from . import app
from .common import Format, FormatOption, WorkspaceOption, console, emit, handle_errors


@app.command()
@handle_errors
def init(
    path: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    name: Annotated[str | None, typer.Option(help="Name shown in reports.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing workspace's stores.")] = False,
) -> None:
    """Create a new, empty workspace (a folder with cxloop.toml and its two stores).

    Example: cxloop init ./ws
    """
    ws = Workspace.init(path, name=name, force=force)
    console.print(f"Created workspace [bold]{ws.settings.workspace.name}[/] in {ws.path}")
    console.print(f"  settings:  {ws.path / 'cxloop.toml'}")
    console.print(f"  analytics: {ws.analytics_url}")
    console.print(f"  app store: {ws.app_url}")
    ws.close()


@app.command()
@handle_errors
def settings(
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Show every setting with its value (from cxloop.toml) or default, and what it does.

    Example: cxloop settings --workspace ./ws
    """
    rows = describe()
    if workspace is not None:
        ws = Workspace.open(workspace)
        for r in rows:
            section, key = r["key"].split(".")
            r["value"] = plain_setting(getattr(getattr(ws.settings, section), key))
    emit(rows, fmt, columns=[c for c in ("key", "value", "default", "help") if c in rows[0]])
