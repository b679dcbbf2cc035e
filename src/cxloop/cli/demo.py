"""`cxloop demo`: build, ingest and analyse a simulated company, print the summary, return."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..demo import SIZES, build_demo, summarise
from . import app
from .common import WorkspaceOption, console, fail, handle_errors


@app.command()
@handle_errors
def demo(
    workspace: WorkspaceOption = None,
    size: Annotated[str, typer.Option(help="small (tests), medium (default) or large.")] = "medium",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    force: Annotated[bool, typer.Option(help="Replace an existing workspace there.")] = False,
) -> None:
    """Build a demo workspace from the built-in simulator, analyse it and print a summary.

    The planted truths the analytics must recover are written to truth.json.

    Example: cxloop demo --workspace ./demo --size small --seed 7
    """
    if size not in SIZES:
        raise fail(f"--size {size!r}: choose from {', '.join(SIZES)}")
    path = workspace or Path("demo")
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("simulate", total=1.0)

        def progress(step: str, fraction: float) -> None:
            bar.update(task, description=step[:40], completed=fraction)

        result = build_demo(path, size=size, seed=seed, force=force, progress=progress)
    ws = result.workspace
    loaded = Table(title=f"Loaded into {ws.path}", header_style="bold")
    for c in ("entity", "read", "accepted", "quarantined", "duplicates", "conflicts"):
        loaded.add_column(c, justify="right" if c != "entity" else "left")
    for entity, r in result.ingests.items():
        loaded.add_row(
            entity,
            *(f"{v:,}" for v in (r.read, r.accepted, r.quarantined, r.duplicates, r.conflicts)),
        )
    console.print(loaded)
    t = result.tagging
    if t is not None:
        console.print(
            f"Tagged {t.tagged:,} comments ({t.with_themes:,} with a theme) in {t.seconds:.1f} s "
            f"({t.per_second:,.0f} comments/s)",
            highlight=False,
        )
    c = result.cases
    if c is not None:
        rules = ", ".join(f"{rule} {n:,}" for rule, n in c.by_rule.items())
        console.print(
            f"Opened {c.opened:,} cases for the last month's responses that meet a rule "
            f"({rules}); see `cxloop cases list`",
            highlight=False,
        )
    k = result.coaching
    if k is not None:
        console.print(
            f"Imported {k.added:,} coaching sessions ({k.linked:,} follow-ups linked); see "
            "`cxloop coach sessions`",
            highlight=False,
        )
    print_summary(summarise(ws))
    print_logins(result.logins)
    console.print(
        f"\nDone in {time.perf_counter() - started:.1f} s. Planted truths: {ws.path / 'truth.json'}\n"
        f"Explore: cxloop metrics --by team --workspace {ws.path}   "
        f"cxloop kpis --by channel --workspace {ws.path}   "
        f"cxloop themes summary --workspace {ws.path}   "
        f"cxloop why detractors --workspace {ws.path}   "
        f"cxloop cases metrics --workspace {ws.path}"
    )
    ws.close()


def _pm(value: float | None, margin: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}{unit}"
    return f"{text} ± {margin:.{digits}f}" if margin is not None else text


def print_summary(s: dict) -> None:
    """Print the headline analysis in words a team leader can repeat."""
    w = s["window"]
    o = s["overall"]
    console.print(f"\n[bold]Customers, {w['since']} to {w['until']}[/]")
    if o:
        console.print(
            f"  NPS {_pm(o['nps'], o['nps_margin'])} (n={o['n']:,}); "
            f"CSAT {_pm(o['csat'], o['csat_margin'], '%')}; CES {_pm(o['ces'], o['ces_margin'], digits=2)}"
        )
    for r in s["by_channel"]:
        console.print(
            f"  {r['channel'] or 'none':<8} NPS {_pm(r['nps'], r['nps_margin'])} (n={r['n']:,})"
        )
    if s["top_teams"]:
        console.print("[bold]Teams[/] (ranked only with enough responses; ± is the 95% margin)")
        for label, rows in (("highest", s["top_teams"]), ("lowest", s["bottom_teams"])):
            names = "; ".join(f"{r['team']} {_pm(r['nps'], r['nps_margin'])}" for r in rows)
            console.print(f"  {label}: {names}")
        if s["small_teams"]:
            console.print(f"  {s['small_teams']} teams had too few responses to rank.")
    k = s["kpis_overall"]
    if k:
        console.print("[bold]Contact centre[/]")
        console.print(
            f"  grade of service {_pm(k['grade_of_service'], k['grade_of_service_margin'], '%')}, "
            f"ASA {_pm(k['asa'], k['asa_margin'], ' s')}, abandonment {_pm(k['abandonment'], k['abandonment_margin'], '%')}, "
            f"AHT {_pm(k['aht'], k['aht_margin'], ' s')}, transfers {_pm(k['transfer_rate'], k['transfer_rate_margin'], '%')}, "
            f"FCR {_pm(k['fcr'], k['fcr_margin'], '%')}"
        )
    th = s.get("themes")
    if th and th["tagged"]:
        console.print(f"[bold]What customers talk about[/] ({th['tagged']:,} tagged comments)")
        for label, rows in (("pain", th["pain"]), ("praise", th["praise"])):
            for r in rows:
                mood = "negative" if label == "pain" else "positive"
                console.print(
                    f"  {label:<6} {r['theme']:<24} {_pm(r['share'], r['margin'], '%')} of "
                    f"comments, {r[mood]:.0f}% {mood}",
                    highlight=False,
                )
    e = s.get("enps")
    if e and not e.get("suppressed"):
        console.print(
            f"[bold]Employees[/]\n  eNPS {_pm(e['enps'], e['enps_margin'])} (n={e['n']:,})"
        )
    print_insights(s.get("insights") or {})


def print_insights(i: dict) -> None:
    """The insights' headlines, each a sentence from cxloop.insights."""
    if not i:
        return
    console.print("[bold]Insights[/] (each with its own command)")
    lines = [("changes", i["changes"]), *[("", c) for c in i["top_changes"]],
             ("drivers", i["fix_first"]), ("kpi-alignment", i["wait"]),
             ("scores --flags", f"{i['needs_support']} agent(s) need support on a theme in "
              "their comments."),
             ("linkage --drops", i["engagement_drop"]),
             ("coach effect", i.get("coaching"))]  # fmt: skip
    for command, sentence in lines:
        if sentence:
            label = f"cxloop {command}" if command else ""
            console.print(f"  [dim]{label:<22}[/] {escape(sentence)}", highlight=False)


def print_logins(logins: list) -> None:
    """The demo's web sign-ins, one per role (``cxloop serve`` prints them again)."""
    if not logins:
        return
    table = Table(title="Web sign-ins (cxloop serve)", header_style="bold")
    for c in ("username", "password", "role", "who"):
        table.add_column(c)
    for login in logins:
        who = login.display_name + (f", {login.employee_id}" if login.employee_id else "")
        who += f", team {login.team_id}" if login.team_id else ""
        table.add_row(login.username, login.password, login.role, escape(who))
    console.print(table)
