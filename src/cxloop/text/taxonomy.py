"""The themes a user cares about, read from a TOML file they own.

One ``[[theme]]`` table per theme: ``name`` and ``description`` (one plain sentence)
are required; ``parent`` (another theme's name, for two levels), ``keywords``
(phrases matched exactly, case-insensitive, on word boundaries), ``examples``
(example comments) and ``polarity`` ("negative", "positive" or "either") are
optional. A theme with only a name and a description is matched by meaning alone.

:func:`check` lists every problem at once, each naming the theme and field, so a
user can fix a file in one pass; :func:`load_taxonomy` refuses a file with any.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import InputError

POLARITIES = ("negative", "positive", "either")
_FIELDS = {"name", "description", "parent", "keywords", "examples", "polarity"}


@dataclass(frozen=True)
class Theme:
    """One theme: what customers talk about, and how to recognise it."""

    name: str
    description: str
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    polarity: str = "either"


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of themes; parents are themes too."""

    themes: tuple[Theme, ...]
    source: str = "taxonomy"
    _by_name: dict[str, Theme] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({t.name: t for t in self.themes})

    def __len__(self) -> int:
        return len(self.themes)

    def __getitem__(self, name: str) -> Theme:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.themes]

    def children(self, name: str) -> list[Theme]:
        return [t for t in self.themes if t.parent == name]

    @property
    def taggable(self) -> tuple[Theme, ...]:
        """The themes comments are tagged with: leaves (parents are roll-ups)."""
        parents = {t.parent for t in self.themes if t.parent}
        return tuple(t for t in self.themes if t.name not in parents)

    def expand(self, name: str) -> list[str]:
        """``name`` and, for a parent, all its children."""
        return [name] + [t.name for t in self.children(name)]

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything that affects tagging changes."""
        data = json.dumps([asdict(t) for t in self.themes], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def parse(data: dict, source: str = "taxonomy") -> tuple[list[Theme], list[str]]:
    """Themes and problems from parsed TOML (problems as one-line messages)."""
    problems: list[str] = []
    tables = data.get("theme")
    if not isinstance(tables, list) or not tables:
        return [], [f"{source}: no [[theme]] tables found"]
    unknown_top = set(data) - {"theme"}
    if unknown_top:
        problems.append(f"{source}: unknown top-level key(s) {sorted(unknown_top)}")
    themes: list[Theme] = []
    for i, table in enumerate(tables, start=1):
        where = f"{source}: theme #{i}"
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: name is missing or empty")
            continue
        where = f"{source}: theme {name!r}"
        for key in sorted(set(table) - _FIELDS):
            problems.append(f"{where}: unknown field {key!r}")
        description = table.get("description")
        if not isinstance(description, str) or not description.strip():
            problems.append(f"{where}: description is missing or empty")
            description = ""
        polarity = table.get("polarity", "either")
        if polarity not in POLARITIES:
            problems.append(f"{where}: polarity {polarity!r} is not one of {', '.join(POLARITIES)}")
            polarity = "either"
        parent = table.get("parent")
        if parent is not None and (not isinstance(parent, str) or not parent.strip()):
            problems.append(f"{where}: parent must be a theme name")
            parent = None
        lists = {}
        for key in ("keywords", "examples"):
            value = table.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{where}: {key} must be a list of strings")
                value = []
            empty = [v for v in value if not v.strip()]
            if empty:
                problems.append(f"{where}: {key} has an empty entry")
            lists[key] = tuple(v.strip() for v in value if v.strip())
        themes.append(
            Theme(name.strip(), description.strip(), parent and parent.strip(),
                  lists["keywords"], lists["examples"], polarity)
        )  # fmt: skip
    problems.extend(_cross_checks(themes, source))
    return themes, problems


def _cross_checks(themes: list[Theme], source: str) -> list[str]:
    problems = []
    seen: set[str] = set()
    for t in themes:
        if t.name.casefold() in seen:
            problems.append(f"{source}: theme {t.name!r}: duplicate name")
        seen.add(t.name.casefold())
    names = {t.name for t in themes}
    parents = {t.parent for t in themes if t.parent}
    for t in themes:
        if t.parent and t.parent not in names:
            problems.append(f"{source}: theme {t.name!r}: unknown parent {t.parent!r}")
        elif t.parent == t.name:
            problems.append(f"{source}: theme {t.name!r}: is its own parent")
        elif t.parent and t.parent in names and _parent_of(themes, t.parent):
            problems.append(
                f"{source}: theme {t.name!r}: parent {t.parent!r} has a parent itself "
                "(two levels at most)"
            )
        if t.name in parents and t.keywords:
            problems.append(
                f"{source}: theme {t.name!r}: a parent theme cannot have keywords "
                "(put them on a child theme)"
            )
    owner: dict[str, str] = {}
    for t in themes:
        for kw in {k.casefold() for k in t.keywords}:
            if kw in owner and owner[kw] != t.name:
                problems.append(
                    f"{source}: theme {t.name!r}: keyword {kw!r} is also a keyword of {owner[kw]!r}"
                )
            owner.setdefault(kw, t.name)
    return problems


def _parent_of(themes: list[Theme], name: str) -> str | None:
    return next((t.parent for t in themes if t.name == name), None)


def check(path: str | Path) -> list[str]:
    """Every problem in the taxonomy file at ``path`` (empty when it is valid)."""
    try:
        data = _read(Path(path))
    except InputError as e:
        return [str(e)]
    return parse(data, str(path))[1]


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file; raise :class:`InputError` on the first problem."""
    themes, problems = parse(_read(Path(path)), str(path))
    if problems:
        more = (
            f" (and {len(problems) - 1} more: run `cxloop taxonomy check`)"
            if len(problems) > 1
            else ""
        )
        raise InputError(problems[0] + more)
    return Taxonomy(tuple(themes), str(path))


def default_taxonomy() -> Taxonomy:
    """The shipped taxonomy for contact centres and financial services."""
    text = resources.files("cxloop.text").joinpath("default_taxonomy.toml").read_text("utf-8")
    themes, problems = parse(tomllib.loads(text), "default taxonomy")
    assert not problems, problems  # guarded by tests
    return Taxonomy(tuple(themes), "default")


def from_names(names: list[str], descriptions: dict[str, str] | None = None) -> Taxonomy:
    """A taxonomy from names alone, each name turned into a one-line description."""
    descriptions = descriptions or {}
    themes = [Theme(n, descriptions.get(n) or describe_name(n)) for n in names]
    return Taxonomy(tuple(themes), "names")


def describe_name(name: str) -> str:
    """A plain one-line description from a label such as ``card_arrival``."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return f"The customer talks about {words}."


def append_theme(path: str | Path, theme: Theme) -> None:
    """Add one ``[[theme]]`` table to the end of a taxonomy file (created if missing)."""
    path = Path(path)
    lines = ["", "[[theme]]", f"name = {_toml_str(theme.name)}"]
    if theme.parent:
        lines.append(f"parent = {_toml_str(theme.parent)}")
    lines.append(f"description = {_toml_str(theme.description)}")
    if theme.keywords:
        lines.append("keywords = [" + ", ".join(_toml_str(k) for k in theme.keywords) + "]")
    if theme.examples:
        lines.append("examples = [")
        lines.extend(f"    {_toml_str(e)}," for e in theme.examples)
        lines.append("]")
    lines.append(f"polarity = {_toml_str(theme.polarity)}")
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + "\n".join(lines).lstrip("\n" if not existing else "") + "\n",
                    encoding="utf-8")  # fmt: skip


def _toml_str(text: str) -> str:
    """A TOML basic string: every character that needs it escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such taxonomy file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from None
