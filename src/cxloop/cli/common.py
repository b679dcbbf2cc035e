"""What every CLI command shares: the workspace option, output formats, errors at the edge."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import CxloopError, InputUnreadable
from ..export import csv_text, plain
from ..workspace import ENV_VAR, Workspace

console = Console()
err_console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar=ENV_VAR,
        help=f"Workspace folder (or set {ENV_VAR}).",
        show_default=False,
    ),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


SinceOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day.")]
UntilOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day.")]
FilterOption = Annotated[
    list[str] | None,
    typer.Option("--filter", help="Keep only DIM=VALUE (repeatable), e.g. --filter channel=phone."),
]


def parse_where(filters: list[str] | None) -> dict[str, list[str]]:
    """``["channel=phone", "channel=chat"]`` -> ``{"channel": ["phone", "chat"]}``."""
    where: dict[str, list[str]] = {}
    for item in filters or []:
        if "=" not in item:
            raise fail(f"--filter {item!r}: expected DIM=VALUE")
        dim, value = item.split("=", 1)
        where.setdefault(dim.strip().lower(), []).append(value.strip())
    return where


def as_date(value: dt.datetime | None) -> dt.date | None:
    """A ``--since``/``--until`` option's value as a date."""
    return value.date() if value else None


def open_workspace(path: Path | None) -> Workspace:
    return Workspace.open(path)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    err_console.print(
        f"[bold red]Error:[/] {message}", highlight=False, markup=True, soft_wrap=True
    )
    return typer.Exit(code)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn cxloop's own errors into a one-line message and an exit code, never a traceback.

    Exit 2: an input could not be read at all. Exit 1: any other cxloop error.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputUnreadable as e:
            raise fail(_escape(str(e)), 2) from None
        except CxloopError as e:
            raise fail(_escape(str(e)), 1) from None
        except KeyboardInterrupt:
            raise fail("interrupted; nothing from the interrupted step was kept", 130) from None

    return wrapper


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    notes: Sequence[str] = (),
) -> None:
    """Print rows as a rich table, a JSON array or formula-safe CSV."""
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        sys.stdout.write(json.dumps([{k: plain(v) for k, v in r.items()} for r in rows], indent=2))
        sys.stdout.write("\n")
        return
    if fmt is Format.csv:
        sys.stdout.write(csv_text(rows, columns))
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        long_text = any(isinstance(r.get(c), str) and len(r[c]) > 40 for r in rows)
        table.add_column(c, overflow="fold", no_wrap=not long_text)
    for r in rows:
        table.add_row(*[_cell(r.get(c)) for c in columns])
    # piped or captured output is not cut to 80 columns
    out = console if console.is_terminal else Console(width=200)
    out.print(table)
    for note in notes:
        out.print(f"[dim]{_escape(note)}[/]")


def _cell(value: Any) -> str:
    from rich.markup import escape

    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(plain(value)))


@contextlib.contextmanager
def count_progress(description: str, unit: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr with items/s and time left, when stderr is a terminal."""
    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn(f"{description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    started = time.perf_counter()
    task = bar.add_task(description, total=None, rate="")

    def report(done: int, total: int) -> None:
        elapsed = max(time.perf_counter() - started, 1e-6)
        rate = f"{done / elapsed:,.0f} {unit}/s" if done else ""
        bar.update(task, completed=done, total=total or None, rate=rate)

    with bar:
        yield report
