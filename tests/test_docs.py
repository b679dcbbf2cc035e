"""The docs cannot drift: every setting and every CLI command is documented."""

import re
from pathlib import Path

import pytest

from cxloop.cli import app
from cxloop.settings_file import describe

ROOT = Path(__file__).resolve().parents[1]


def _commands():
    """Every command as (name, click command); sub-commands of a group as "group sub"."""
    import typer.main

    out = []
    for name, cmd in typer.main.get_command(app).commands.items():
        if hasattr(cmd, "commands"):  # a group: its sub-commands count
            out += [(f"{name} {sub}", c) for sub, c in cmd.commands.items()]
        else:
            out.append((name, cmd))
    return sorted(out, key=lambda pair: pair[0])


def _command_names():
    return [name for name, _ in _commands()]


@pytest.mark.parametrize("key", [r["key"] for r in describe()])
def test_every_setting_is_documented(key):
    text = (ROOT / "docs" / "settings.md").read_text()
    assert re.search(rf"^## {re.escape(key)}$", text, re.M), f"{key} missing from docs/settings.md"


@pytest.mark.parametrize("command", _command_names())
def test_every_command_is_in_the_readme_and_has_help(command):
    readme = (ROOT / "README.md").read_text()
    assert f"cxloop {command}" in readme, f"`cxloop {command}` is not in README.md"
    cmd = dict(_commands())[command]
    assert cmd.help and "Example:" in cmd.help, f"{command} needs help text with an Example:"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text()[:1500]
    assert "make demo" in head and "make test" in head


def test_data_model_doc_is_current():
    from cxloop.model import as_markdown

    assert (ROOT / "docs" / "data-model.md").read_text() == as_markdown(), (
        "regenerate: python -m cxloop.model > docs/data-model.md"
    )
