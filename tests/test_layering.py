"""Imports flow one way: core modules never import the CLI (or, later, the web app).

model/settings/errors/export <- store <- ingest, metrics, simulate <- demo <- cli
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "cxloop"
SHELLS = ("cli", "web")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    package = ".".join(path.relative_to(PKG.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                names.add(".".join([*base, node.module] if node.module else base))
                for alias in node.names:
                    names.add(
                        ".".join([*base, *([node.module] if node.module else []), alias.name])
                    )
            elif node.module:
                names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


CORE = [p for p in PKG.rglob("*.py") if p.relative_to(PKG).parts[0] not in SHELLS]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PKG)))
def test_core_never_imports_a_shell(path):
    bad = {m for m in _imports(path) for s in SHELLS if m.startswith(f"cxloop.{s}")}
    assert not bad, f"{path.relative_to(PKG)} imports {bad}"


@pytest.mark.parametrize(
    "path", [p for p in PKG.rglob("*.py") if "metrics" in p.parts], ids=lambda p: p.name
)
def test_metrics_write_no_sql_strings(path):
    """Metrics are Ibis expressions only, so they run on any backend."""
    text = path.read_text()
    for word in ("SELECT ", "raw_sql", ".sql(", "execute("):
        assert word not in text, f"{path.name} contains {word!r}"
