"""`cxloop why`: the reason behind the reason, as a tree of conditions that over-represent a
theme or detractors."""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.tree import Tree

from ..insights.root_cause import WhyNode, WhyResult
from ..insights.root_cause import why as root_cause
from . import app
from .common import (
    FilterOption,
    Format,
    FormatOption,
    SinceOption,
    UntilOption,
    WorkspaceOption,
    as_date,
    console,
    emit,
    handle_errors,
    open_workspace,
    parse_where,
)

COLUMNS = ("level", "path", "condition", "lift", "low", "high", "hits", "n", "q_value",
           "overall_lift", "sentence")  # fmt: skip


@app.command()
@handle_errors
def why(
    target: Annotated[
        str,
        typer.Argument(
            help='A theme ("billing error"), a parent theme, "detractors" or "promoters"; '
            'narrow with "... in channel social".'
        ),
    ],
    depth: Annotated[int, typer.Option(help="Levels of the tree (2 or 3 read best).")] = 3,
    breadth: Annotated[int, typer.Option(help="Conditions shown under each node.")] = 4,
    since: SinceOption = None,
    until: UntilOption = None,
    filters: FilterOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What over-represents a theme or detractors, and within that what further: a tree of
    conditions (themes, waits, transfers, resolution, repeat contact, channel, queue, reason,
    product, segment, region, customer cohort, team, month) with lift, support and a 95%
    interval; Benjamini-Hochberg at insights.false_discovery_rate per level.

    Example: cxloop why "billing error" --depth 3 --format json
    """
    ws = open_workspace(workspace)
    result = root_cause(ws, target, as_date(since), as_date(until), depth, breadth=breadth,
                        where=parse_where(filters))  # fmt: skip
    if fmt is Format.json:
        sys.stdout.write(json.dumps(_clean(result.to_dict()), indent=2) + "\n")
    elif fmt is Format.csv:
        emit(_flat(result.tree), fmt, columns=COLUMNS)
    else:
        _print_tree(result)


def _flat(nodes: list[WhyNode]) -> list[dict[str, Any]]:
    rows = []
    for node in nodes:
        row = {c: getattr(node, c) for c in COLUMNS if c != "path"}
        rows.append(row | {"path": " > ".join(node.path)})
        rows.extend(_flat(node.children))
    return rows


def _walk(nodes: list[WhyNode]):  # noqa: ANN202
    for n in nodes:
        yield n
        yield from _walk(n.children)


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _print_tree(result: WhyResult) -> None:
    unit = result.population
    title = (f"[bold]Why {escape(result.target)}?[/] {result.hits:,} of {result.n:,} {unit} "
             f"({100 * result.rate:.1f}%)")  # fmt: skip
    if result.where:
        title += " where " + ", ".join(f"{k} = {', '.join(v)}" for k, v in result.where.items())
    tree = Tree(title)

    def add(parent: Tree, nodes: list[WhyNode]) -> None:
        for n in nodes:
            label = (f"[bold]{escape(n.condition)}[/]  {n.lift:.1f}x "
                     f"[dim](95% CI {n.low:.1f}-{n.high:.1f}; {n.hits:,} of {n.n:,}"
                     f"{'' if n.level == 1 else f'; {n.overall_lift:.1f}x overall'})[/]")  # fmt: skip
            add(parent.add(label), n.children)

    add(tree, result.tree)
    out = console if console.is_terminal else type(console)(width=200)
    out.print(tree)
    shown = {n.condition for n in result.tree}
    more = [f for f in result.findings if f.condition not in shown][:6]
    if more:
        out.print("[dim]Also over-represented at the first level: " + escape(
            ", ".join(f"{f.condition} ({f.lift:.1f}x)" for f in more)) + "[/]")  # fmt: skip
    if result.tree:
        sharpest = max(_walk(result.tree), key=lambda n: n.overall_low)
        out.print(escape(result.tree[0].sentence), highlight=False)
        if sharpest is not result.tree[0]:
            out.print("Sharpest: " + escape(sharpest.sentence), highlight=False)
    for note in result.notes:
        out.print(f"[dim]{escape(note)}[/]")
    out.print("[dim]Lift: how many times as common as in the group above (x); overall: "
              "the whole path against everyone.[/]")  # fmt: skip
