"""`cxloop themes discover` and `cxloop themes promote`: find and adopt new themes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..text.discover import COHESION, MAX_CANDIDATES, MIN_SIZE, Candidate
from ..text.discover_workspace import discover_themes, latest_discovery, promote, saved_candidate
from .common import (
    Format,
    FormatOption,
    WorkspaceOption,
    console,
    count_progress,
    emit,
    handle_errors,
    open_workspace,
)

COLUMNS = ("id", "label", "comments", "share", "trend", "most_affected", "cohesion", "example")


@handle_errors
def discover_command(
    workspace: WorkspaceOption = None,
    since: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="From this day.")
    ] = None,
    until: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Before this day.")
    ] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            "-t",
            help="Only comments tagged with this taxonomy file.",
            show_default=False,
        ),
    ] = None,
    min_size: Annotated[
        int, typer.Option("--min-size", min=2, help="Fewest comments a candidate may have.")
    ] = MIN_SIZE,
    top: Annotated[
        int, typer.Option("--top", min=1, help="How many candidates, largest first.")
    ] = MAX_CANDIDATES,
    cohesion: Annotated[
        float,
        typer.Option(
            "--cohesion",
            min=0.5,
            max=0.99,
            help="How alike a candidate's comments must be (higher: more, tighter themes).",
        ),
    ] = COHESION,
    fmt: FormatOption = Format.table,
) -> None:
    """Propose new themes from the comments your taxonomy does not cover yet.

    Clusters the clauses of comments that tagging left without a theme, and labels each
    cluster by its most distinctive phrases, with its size, trend, five representative
    comments and the teams and channels most affected. Needs `cxloop themes tag` first.
    The candidates are saved, numbered, for `cxloop themes promote`.

    Example: cxloop themes discover --workspace demo --since 2024-01-01 --top 10
    """
    with open_workspace(workspace) as ws, count_progress("embedding", "clauses") as progress:
        found = discover_themes(ws, since=since, until=until, taxonomy=taxonomy,
                                min_size=min_size, max_candidates=top, cohesion=cohesion,
                                progress=progress)  # fmt: skip
        run = latest_discovery(ws)
    if fmt is Format.json:
        emit([c.to_dict() for c in found], fmt)
        return
    notes = [
        f"{run['uncovered_comments']:,} comments without a theme; {run['clustered_comments']:,} "
        f"with a clause of 3+ words were clustered ({run['clauses']:,} clauses). share: % of "
        "those, ± 95% margin; cohesion: mean similarity to the centre (0-1)",
        "adopt one with: cxloop themes promote ID --taxonomy FILE [--name NAME] [--parent P]",
    ]
    emit([_row(c) for c in found], fmt, columns=COLUMNS, title="Candidate themes", notes=notes)


def _row(c: Candidate) -> dict:
    trend = "–"
    if c.trend is not None:
        t = c.trend
        trend = t.direction
        if t.p_value is not None and t.last_total and t.before_total:
            trend += (
                f" ({100 * t.last_count / t.last_total:.1f}% last {t.period} vs "
                f"{100 * t.before_count / t.before_total:.1f}%, p={t.p_value:.2g})"
            )
    affected = "; ".join(f"{g.dimension} {g.value} ×{g.lift:.1f} (n={g.count})" for g in c.groups)
    return {
        "id": c.id,
        "label": c.label,
        "comments": c.size,
        "share": f"{c.share:.1f} ± {c.margin:.1f}%",
        "trend": trend,
        "most_affected": affected or "–",
        "cohesion": f"{c.cohesion:.2f}",
        "example": _clip(c.examples[0]) if c.examples else "",
    }


def _clip(text: str, limit: int = 120) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


@handle_errors
def promote_command(
    candidate: Annotated[int, typer.Argument(help="The candidate's id from the last discover.")],
    taxonomy: Annotated[
        Path, typer.Option("--taxonomy", "-t", help="Taxonomy TOML file to add the theme to.")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Theme name (default: the candidate's label).")
    ] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Put the theme under this parent theme.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a discovered candidate to your taxonomy file as a new theme.

    The theme gets a one-sentence description and keywords from the candidate's key
    phrases, and three representative comments as examples; edit them as you like.
    Tag again (`cxloop themes tag`) to apply it.

    Example: cxloop themes promote 3 --taxonomy themes.toml --name "Card not arrived" --parent "Cards"
    """
    with open_workspace(workspace) as ws:
        chosen = saved_candidate(ws, candidate)
    theme = promote(chosen, taxonomy, name=name, parent=parent)
    console.print(
        f"Added theme {escape(repr(theme.name))} to {escape(str(taxonomy))} "
        f"({len(theme.keywords)} keywords, {len(theme.examples)} examples); "
        "run `cxloop themes tag` to apply it",
        highlight=False,
        soft_wrap=True,
    )


def register(themes_app: typer.Typer) -> None:
    """Add `discover` and `promote` to the `cxloop themes` commands."""
    themes_app.command("discover")(discover_command)
    themes_app.command("promote")(promote_command)
