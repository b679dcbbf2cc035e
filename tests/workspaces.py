"""Helpers for tests that build tiny hand-made workspaces: rows into the analytics store,
and a fresh copy of a template workspace with some settings changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa

from cxloop import Workspace
from cxloop.store.analytics import table_schemas


def insert_rows(ws: Workspace, name: str, rows: list[dict]) -> None:
    """Rows (dicts; missing fields null) into one analytics table, with its schema."""
    schema = table_schemas()[name]
    ws.analytics.insert(name, pa.table({f.name: [r.get(f.name) for r in rows] for f in schema},
                                       schema=schema))  # fmt: skip


def open_copy(template: Path, tmp_path: Path, app_url: str | None = None, **settings) -> Workspace:
    """A copy of ``template`` at ``tmp_path/tiny``, opened; ``app_url`` and keyword settings
    (keys as written in cxloop.toml, e.g. ``smtp_port=2525``) replace the defaults."""
    path = tmp_path / "tiny"
    shutil.copytree(template, path)
    toml = path / "cxloop.toml"
    text = toml.read_text()
    if app_url:
        text = text.replace('app_url = ""', f'app_url = "{app_url}"')
    for key, value in settings.items():
        text = text.replace(f"\n{key} = ", f"\n{key} = {json.dumps(value)}\n# was: ", 1)
    toml.write_text(text)
    return Workspace.open(path)
