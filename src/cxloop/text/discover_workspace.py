"""Discover new themes in a workspace's comments, and promote one into the taxonomy.

:func:`discover_themes` takes the response comments that tagging left without any theme
(``n_themes = 0`` in ``comment_tags``) over a period, cuts them into clauses (of three
words or more), reuses the clause embeddings tagging cached, and clusters them with
:func:`cxloop.text.discover.discover`.
A comment counts once per candidate however many of its clauses fall in it. Trends
use ``responded_at``; the over-represented groups are teams and channels. The run is
saved to ``discoveries/latest.json`` in the workspace, numbered 1..n, so that
:func:`promote` (``cxloop themes promote ID``) can pick a candidate by its number.

:func:`promote` appends a ``[[theme]]`` to a taxonomy file: the label as name, a
one-sentence description from the key phrases, the label's phrases (the top three: the
rest are often too loose to match exactly) as keywords, minus any another theme already
owns, three representative comments as examples, polarity "either". The file is checked
as it would be after the append, so a promotion never leaves an invalid taxonomy behind.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from ..errors import InputError, MissingData
from ..workspace import Workspace
from .cache import embed_cached
from .clauses import split_clauses
from .discover import COHESION, MAX_CANDIDATES, MIN_SIZE, Candidate, discover
from .discover_phrases import LABEL_PHRASES
from .encoder import Encoder, workspace_encoder
from .tagger import embedding_key
from .taxonomy import Theme, append_theme, parse
from .workspace_tags import settings_fingerprint, workspace_taxonomy

FOLDER = "discoveries"
LATEST = "latest.json"
GROUPS = ("team_id", "channel")
EXAMPLES = 3
MIN_WORDS = 3  # shorter clauses are not clustered


def discover_themes(
    ws: Workspace,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    taxonomy: str | Path | None = None,
    min_size: int = MIN_SIZE,
    max_candidates: int | None = MAX_CANDIDATES,
    cohesion: float = COHESION,
    encoder: Encoder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    """Candidate themes among the comments no theme covers, from ``since`` to before ``until``.

    With ``taxonomy``, only comments tagged with that taxonomy (and the current settings)
    are used. ``progress(done, total)`` counts clauses embedded (most are cached by
    tagging). Raises :class:`MissingData` if comments were never tagged.
    """
    rows = uncovered_comments(ws, since=since, until=until, taxonomy=taxonomy)
    clauses, owners, keys = [], [], []
    for r in rows:
        text = r["comment"]
        for a, b in split_clauses(text):
            if len(text[a:b].split()) < MIN_WORDS:
                continue  # "nope", "see above": nothing to build a theme on
            clauses.append(text[a:b])
            keys.append(embedding_key(text[a:b]))
            owners.append(r["response_id"])
    meta = _meta(since, until, taxonomy, len(rows), len(set(owners)), len(clauses))
    if not clauses:
        _save(ws, [], meta)
        return []
    encoder = encoder or workspace_encoder(ws.settings.text)
    vectors = embed_cached(ws.analytics, encoder, keys, progress)
    row_of = {r["response_id"]: r for r in rows}
    first = [row_of[o] for o in owners]
    candidates = discover(
        clauses,
        vectors,
        dates=[r["responded_at"] for r in first],
        groups={g: [r[g] for r in first] for g in GROUPS},
        owners=owners,
        min_size=min_size,
        max_candidates=max_candidates,
        cohesion=cohesion,
    )
    for c in candidates:  # show whole comments, not only the clause that matched
        c.examples = [row_of[i]["comment"] for i in c.example_ids]
    _save(ws, candidates, meta)
    return candidates


def uncovered_comments(
    ws: Workspace,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    taxonomy: str | Path | None = None,
) -> list[dict]:
    """The tagged comments with no theme: response_id, comment, responded_at, team, channel."""
    store = ws.analytics
    if "comment_tags" not in store.con.list_tables() or store.count("comment_tags") == 0:
        raise MissingData(
            "no tagged comments: run `cxloop themes tag --workspace WS` first, then discover"
        )
    tags = store.table("comment_tags")
    if taxonomy is not None:
        fingerprint = settings_fingerprint(workspace_taxonomy(ws, taxonomy), ws.settings.text)
        tags = tags.filter(tags.taxonomy_hash == fingerprint)
        if store.con.to_pyarrow(tags.count()).as_py() == 0:
            raise MissingData(
                f"no comments tagged with {taxonomy} and the current settings: run "
                f"`cxloop themes tag --taxonomy {taxonomy}` first"
            )
    tags = tags.filter(tags.n_themes == 0).select("response_id")
    responses = store.table("responses")
    t = responses.inner_join(tags, "response_id")
    t = t.filter(t.comment.notnull() & (t.comment.strip().length() > 0))
    if since is not None:
        t = t.filter(t.responded_at >= since)
    if until is not None:
        t = t.filter(t.responded_at < until)
    t = t.select("response_id", "comment", "responded_at", *GROUPS).order_by("response_id")
    return store.con.to_pyarrow(t).to_pylist()


def _meta(since, until, taxonomy, comments: int, clustered: int, clauses: int) -> dict:
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "taxonomy": str(taxonomy) if taxonomy else None,
        "uncovered_comments": comments,
        "clustered_comments": clustered,  # with a clause of MIN_WORDS or more; shares are of these
        "clauses": clauses,
    }


def _save(ws: Workspace, candidates: list[Candidate], meta: dict) -> Path:
    folder = ws.path / FOLDER
    folder.mkdir(exist_ok=True)
    path = folder / LATEST
    tmp = path.with_suffix(".json.tmp")
    body = {**meta, "candidates": [c.to_dict() for c in candidates]}
    tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def latest_discovery(ws: Workspace) -> dict:
    """The last saved discovery run: its settings and candidates (as dictionaries)."""
    path = ws.path / FOLDER / LATEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MissingData("no discovery yet: run `cxloop themes discover` first") from None
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read the saved discovery: {e}") from None


def saved_candidate(ws: Workspace, candidate_id: int) -> Candidate:
    """Candidate number ``candidate_id`` of the last discovery run."""
    run = latest_discovery(ws)
    for c in run.get("candidates", []):
        if c.get("id") == candidate_id:
            return Candidate.from_dict(c)
    n = len(run.get("candidates", []))
    raise InputError(
        f"no candidate {candidate_id} in the last discovery (it has {n}: 1..{n})"
        if n
        else "the last discovery found no candidates"
    )


def promote(
    candidate_or_label: Candidate | str,
    taxonomy_path: str | Path,
    *,
    name: str | None = None,
    parent: str | None = None,
) -> Theme:
    """Append the candidate (or a bare label) to the taxonomy file as a new theme."""
    path = Path(taxonomy_path)
    data = _read_toml(path)
    theme = theme_from(candidate_or_label, name=name, parent=parent, taken=_keywords(data))
    before = parse(data, str(path))[1] if data.get("theme") else []
    after_data = {**data, "theme": [*data.get("theme", []), _table(theme)]}
    new = [p for p in parse(after_data, str(path))[1] if p not in before]
    if new:
        raise InputError(f"cannot promote: {new[0]}")
    append_theme(path, theme)
    return theme


def theme_from(
    candidate_or_label: Candidate | str,
    *,
    name: str | None = None,
    parent: str | None = None,
    taken: set[str] = frozenset(),
) -> Theme:
    """The theme a candidate becomes; keywords in ``taken`` (casefolded) are left out."""
    if isinstance(candidate_or_label, Candidate):
        c = candidate_or_label
        label, phrases, examples = c.label, list(c.key_phrases), c.examples[:EXAMPLES]
    else:
        label = str(candidate_or_label)
        phrases = [p.strip() for p in label.split(" / ") if p.strip()]
        examples = []
    name = " ".join((name or label).split())
    if not name:
        raise InputError("the new theme needs a name: pass --name")
    keywords = [p for p in phrases[:LABEL_PHRASES] if p.casefold() not in taken]
    return Theme(
        name=name,
        description=describe(phrases or [name]),
        parent=parent.strip() if parent else None,
        keywords=tuple(dict.fromkeys(keywords)),
        examples=tuple(" ".join(e.split()) for e in examples if e.strip()),
        polarity="either",
    )


def describe(phrases: list[str]) -> str:
    """One plain sentence from key phrases: "Customers mention a, b or c."."""
    quoted = [f'"{" ".join(p.split())}"' for p in phrases[:3]]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"Customers mention {listed}."


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML, nothing was added: {e}") from None


def _keywords(data: dict) -> set[str]:
    tables = data.get("theme") if isinstance(data.get("theme"), list) else []
    return {
        k.casefold()
        for t in tables
        if isinstance(t, dict) and isinstance(t.get("keywords"), list)
        for k in t["keywords"]
        if isinstance(k, str)
    }


def _table(theme: Theme) -> dict:
    table = {"name": theme.name, "description": theme.description, "polarity": theme.polarity}
    if theme.parent:
        table["parent"] = theme.parent
    if theme.keywords:
        table["keywords"] = list(theme.keywords)
    if theme.examples:
        table["examples"] = list(theme.examples)
    return table
