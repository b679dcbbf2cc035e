"""`cxloop themes ...` and `cxloop taxonomy ...`: tag comments, see themes, check taxonomies."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..text.summary import GROUPS, theme_summary
from ..text.tag_file import tag_file
from ..text.taxonomy import check, default_taxonomy
from ..text.workspace_tags import tag_workspace, workspace_taxonomy
from . import app
from .common import (
    Format,
    FormatOption,
    WorkspaceOption,
    console,
    count_progress,
    emit,
    err_console,
    fail,
    handle_errors,
    open_workspace,
)
from .discover import register as register_discovery

themes_app = typer.Typer(help="Themes and sentiment in customer comments.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="The theme taxonomy you own (a TOML file).", no_args_is_help=True)
app.add_typer(themes_app, name="themes")
app.add_typer(taxonomy_app, name="taxonomy")

TaxonomyOption = Annotated[
    Path | None,
    typer.Option("--taxonomy", "-t", help="Taxonomy TOML file (default: the shipped one).",
                 show_default=False),
]  # fmt: skip


@themes_app.command("tag")
@handle_errors
def tag(
    workspace: WorkspaceOption = None,
    taxonomy: TaxonomyOption = None,
    input: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            help="Tag this CSV (or Parquet / JSON lines) file instead of a workspace.",
        ),
    ] = None,
    text_col: Annotated[
        str, typer.Option("--text-col", help="Column holding the comment (with --input).")
    ] = "text",
    id_col: Annotated[
        str | None,
        typer.Option(
            "--id-col", help="Column holding an id (with --input); default: the 1-based row number."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output CSV (with --input).")
    ] = None,
    retag: Annotated[bool, typer.Option("--retag", help="Tag every comment again.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Tag comments with themes, per-theme sentiment and overall sentiment.

    In a workspace, only new or changed comments are tagged (embeddings are cached).
    With --input, any file is tagged with no workspace and one row per input record is
    written to --out: id, themes, theme_sentiments, sentiment, sentiment_score.

    Example: cxloop themes tag --taxonomy themes.toml --input comments.csv --text-col text --out tagged.csv
    """
    if input is not None:
        if out is None:
            raise fail("--out is required with --input")
        with count_progress("tagging", "comments") as progress:
            run = tag_file(input, out, text_col=text_col, id_col=id_col, taxonomy=taxonomy,
                           progress=progress)  # fmt: skip
        for warning in run.warnings:
            err_console.print(
                f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True
            )
        if fmt is Format.table:
            console.print(
                f"Tagged {run.rows:,} rows ({run.with_themes:,} with a theme, {run.empty:,} "
                f"empty) in {run.seconds:.1f} s ({run.per_second:,.0f} comments/s) -> "
                f"{escape(run.out)}",
                highlight=False,
                soft_wrap=True,
            )
        else:
            emit([run.to_dict()], fmt)
        return
    with open_workspace(workspace) as ws, count_progress("tagging", "comments") as progress:
        run = tag_workspace(ws, taxonomy=taxonomy, retag=retag, progress=progress)
    if fmt is not Format.table:
        emit([run.to_dict()], fmt)
        return
    console.print(
        f"{run.comments:,} comments: tagged {run.tagged:,} ({run.with_themes:,} with a theme), "
        f"{run.unchanged:,} unchanged, {run.removed:,} removed, in {run.seconds:.1f} s "
        f"({run.per_second:,.0f} comments/s); taxonomy: {escape(run.taxonomy)}",
        highlight=False,
        soft_wrap=True,
    )


@themes_app.command("summary")
@handle_errors
def summary(
    workspace: WorkspaceOption = None,
    by: Annotated[str | None, typer.Option("--by", help=f"Group by: {', '.join(GROUPS)}.")] = None,
    since: Annotated[datetime | None, typer.Option("--since", help="From this date.")] = None,
    until: Annotated[datetime | None, typer.Option("--until", help="Before this date.")] = None,
    top: Annotated[int, typer.Option("--top", help="Rows to show (0 = all).")] = 0,
    fmt: FormatOption = Format.table,
) -> None:
    """How often each theme is mentioned (share of comments, ±95% margin) and how it feels.

    Example: cxloop themes summary --workspace demo --by team_id --since 2024-01-01
    """
    with open_workspace(workspace) as ws:
        rows = theme_summary(ws, by=by, since=since, until=until)
    if top:
        rows = rows[:top]
    emit(rows, fmt, title="Themes in comments",
         notes=["share: % of tagged comments mentioning the theme, ± 95% margin; "
                "net_sentiment: % positive − % negative among mentions"])  # fmt: skip


@themes_app.command("calibrate")
@handle_errors
def calibrate_command(
    input: Annotated[
        Path, typer.Option("--input", "-i", help="Labelled comments (CSV, Parquet or JSON lines).")
    ],
    taxonomy: TaxonomyOption = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column with the comment.")] = "text",
    labels_col: Annotated[
        str, typer.Option("--labels-col", help="Column with the right themes, separated by ';'.")
    ] = "themes",
    workspace: WorkspaceOption = None,
    save: Annotated[
        bool,
        typer.Option("--save", help="Write the best threshold to the workspace's cxloop.toml."),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Find the theme threshold that best matches comments you labelled yourself.

    Example: cxloop themes calibrate --input labelled.csv --labels-col themes --taxonomy themes.toml --workspace ws --save
    """
    from ..settings_file import to_toml
    from ..text.calibrate import calibrate, read_labelled
    from ..text.taxonomy import load_taxonomy
    from ..workspace import SETTINGS_FILE

    ws = open_workspace(workspace) if (workspace or save) else None
    tax = load_taxonomy(taxonomy) if taxonomy else (
        workspace_taxonomy(ws) if ws else default_taxonomy()
    )  # fmt: skip
    texts, labels = read_labelled(input, text_col, labels_col)
    settings = ws.settings.text if ws else None
    with count_progress("thresholds", "tried") as progress:
        result = calibrate(tax, texts, labels, settings=settings, progress=progress)
    emit(result.rows, fmt, title=f"Tagger against {result.labelled:,} labelled comments",
         notes=[f"best theme_threshold: {result.best}"])  # fmt: skip
    if save and ws is not None:
        new = ws.settings.model_copy(
            update={"text": ws.settings.text.model_copy(update={"theme_threshold": result.best})}
        )
        (ws.path / SETTINGS_FILE).write_text(to_toml(new), encoding="utf-8")
        err_console.print(f"saved text.theme_threshold = {result.best} to "
                          f"{escape(str(ws.path / SETTINGS_FILE))}", highlight=False)  # fmt: skip
    if ws is not None:
        ws.close()


@taxonomy_app.command("check")
@handle_errors
def taxonomy_check(file: Annotated[Path, typer.Argument(help="Taxonomy TOML file.")]) -> None:
    """Check a taxonomy file: every problem, one per line (exit 1 if any).

    Example: cxloop taxonomy check themes.toml
    """
    problems = check(file)
    for p in problems:
        err_console.print(f"[red]•[/] {escape(p)}", highlight=False, soft_wrap=True)
    if problems:
        raise fail(f"{file}: {len(problems)} problem(s)")
    from ..text.taxonomy import load_taxonomy

    tax = load_taxonomy(file)
    console.print(
        f"{escape(str(file))}: OK, {len(tax)} themes ({len(tax.taggable)} taggable)",
        highlight=False,
        soft_wrap=True,
    )


@taxonomy_app.command("init")
@handle_errors
def taxonomy_init(
    file: Annotated[Path, typer.Argument(help="Where to write the taxonomy.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the shipped default taxonomy to a file, to edit as your own.

    Example: cxloop taxonomy init themes.toml
    """
    if file.exists() and not force:
        raise fail(f"{file} exists (use --force to overwrite)")
    from importlib import resources

    text = resources.files("cxloop.text").joinpath("default_taxonomy.toml").read_text("utf-8")
    file.write_text(text, encoding="utf-8")
    console.print(
        f"Wrote {len(default_taxonomy())} themes to {escape(str(file))}",
        highlight=False,
        soft_wrap=True,
    )


register_discovery(themes_app)
