"""`cxloop ingest`: load one file into the workspace and say what happened to every row.

A thin shell over ``cxloop.ingest.ingest_file``. Exit codes: 0 if anything was
accepted (or everything was already there: re-running is safe), 1 if nothing
usable was found (every row quarantined or in conflict), 2 if the file or the
mapping could not be used at all (one line on stderr: file, line, what is wrong).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import InputError
from ..ingest import IngestResult, ingest_file
from ..model import ENTITIES
from . import app
from .common import WorkspaceOption, console, err_console, fail, handle_errors, open_workspace

EntityName = Enum("EntityName", {name: name for name in ENTITIES}, type=str)  # type: ignore[misc]

STAGES = {
    "read": "Reading",
    "check": "Checking values",
    "compare": "Finding duplicates",
    "write": "Writing",
    "done": "Done",
}
SHOWN_REASONS = 5


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@handle_errors
def ingest(
    entity: Annotated[EntityName, typer.Argument(help="What the file holds.", show_default=False)],
    file: Annotated[
        Path, typer.Argument(help="CSV, Parquet or JSON-lines file.", show_default=False)
    ],
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="Mapping file (TOML): source columns to fields."),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.text
    ),
    update: Annotated[
        bool, typer.Option("--update", help="Replace stored rows whose content changed.")
    ] = False,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of a CSV (default: UTF-8).")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter: , ; | or tab (default: guessed).")
    ] = None,
) -> None:
    """Load a file into the workspace, losing nothing.

    Every row is accepted, quarantined (bad value: row, field and reason go to a
    rejects CSV in the workspace's logs folder), a duplicate (already stored), or a
    conflict (same key, different content; --update replaces instead). Personal
    data in free text is redacted on the way in. Re-running the same file adds
    nothing. See docs/ingest.md for the mapping file.

    Example: cxloop ingest responses survey.csv --mapping survey-map.toml -w ./ws
    """
    ws = open_workspace(workspace)
    try:
        with _progress(fmt is OutputFormat.text) as progress:
            result = ingest_file(
                ws,
                entity.value,
                file,
                mapping=mapping,
                update=update,
                encoding=encoding,
                delimiter=delimiter,
                progress=progress,
            )
    except InputError as e:  # a bad mapping, like an unreadable file: nothing could be used
        raise fail(escape(str(e)), 2) from None
    finally:
        ws.close()
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(result.to_dict()) + "\n")
    else:
        _summary(result)
    if not result.usable:
        raise typer.Exit(1)


def _summary(r: IngestResult) -> None:
    """The short text report: counts, where the rejects are, the first reasons, warnings."""
    out = console
    out.print(f"[bold]{r.entity}[/] from {escape(r.source)}", highlight=False)
    updated = f" ({r.updated:,} updated)" if r.updated else ""
    out.print(
        f"  read {r.read:,}   accepted {r.accepted:,}{updated}   quarantined {r.quarantined:,}"
        f"   duplicates {r.duplicates:,}   conflicts {r.conflicts:,}",
        highlight=False,
    )
    if r.rejects_file:
        out.print(f"  rejects: {escape(r.rejects_file)}", highlight=False)
    for problem in r.reasons[:SHOWN_REASONS]:
        out.print(f"    {escape(str(problem))}", highlight=False)
    hidden = len(r.reasons) - SHOWN_REASONS
    if r.quarantined + r.conflicts > SHOWN_REASONS or hidden > 0:
        counts = ", ".join(f"{escape(k)} ({v:,})" for k, v in list(r.reason_counts.items())[:5])
        out.print(f"    ... by kind: {counts}", highlight=False)
    for warning in r.warnings:
        out.print(f"  [yellow]warning:[/] {escape(warning)}", highlight=False)
    if not r.usable:
        out.print("  nothing was accepted", highlight=False)
    elif r.accepted == 0:
        out.print("  nothing new: every good row was already stored", highlight=False)


@contextlib.contextmanager
def _progress(wanted: bool) -> Iterator:
    """A progress bar on stderr (rows and rows/s) when it is a terminal; else no callback."""
    if not (wanted and err_console.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.completed:>12,.0f} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    started = time.perf_counter()
    task = bar.add_task(STAGES["read"], total=None, rate="")

    def report(stage: str, done: int, total: int) -> None:
        elapsed = max(time.perf_counter() - started, 1e-6)
        rate = f"{done / elapsed:,.0f} rows/s" if done else ""
        bar.update(
            task,
            description=STAGES.get(stage, stage),
            completed=done,
            total=total or None,
            rate=rate,
        )

    with bar:
        yield report
