"""The `cxloop` command: a thin shell over the Python API.

Each command parses its options, calls one function of the API and prints the
result. Commands live in one module per area and register themselves here.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cxloop",
    help="Turn the voice of the customer into action by the people who serve customers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

from . import (  # noqa: E402,F401  (register commands)
    actions,
    cases,
    coach,
    coach_effect,
    coach_plans,
    demo,
    drivers,
    ingest,
    kpi_alignment,
    metrics,
    outreach,
    people,
    stories,
    themes,
    trends,
    web,
    why,
    workspace,
)

stories.register(app)


def main() -> None:
    app()
