"""The taxonomy file format, its checks, and the shipped default."""

from __future__ import annotations

import tomllib

from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.text.taxonomy import (
    Theme,
    append_theme,
    check,
    default_taxonomy,
    from_names,
    load_taxonomy,
)

runner = CliRunner()

GOOD = """
[[theme]]
name = "Wait and access"
description = "How easy it was to reach us."

[[theme]]
name = "Long wait on the phone"
parent = "Wait and access"
description = "The customer waited too long on hold."
keywords = ["on hold for ages", "long wait"]
polarity = "negative"

[[theme]]
name = "Billing confusion"
description = "The bill or statement was hard to understand."
"""


def test_minimal_theme_needs_only_name_and_description(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(GOOD)
    tax = load_taxonomy(path)
    assert tax.names == ["Wait and access", "Long wait on the phone", "Billing confusion"]
    assert [t.name for t in tax.taggable] == ["Long wait on the phone", "Billing confusion"]
    assert tax["Billing confusion"].polarity == "either"
    assert tax.expand("Wait and access") == ["Wait and access", "Long wait on the phone"]


def test_check_lists_every_problem_with_theme_and_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        GOOD
        + """
[[theme]]
name = "Billing confusion"
description = "again"

[[theme]]
name = "Empty"
description = "  "

[[theme]]
name = "Orphan"
parent = "Nowhere"
description = "Has an unknown parent."

[[theme]]
name = "Thief"
description = "Steals a keyword."
keywords = ["Long wait"]
polarity = "angry"
"""
    )
    problems = check(path)
    text = "\n".join(problems)
    assert "'Billing confusion': duplicate name" in text
    assert "'Empty': description is missing or empty" in text
    assert "'Orphan': unknown parent 'Nowhere'" in text
    assert "'Thief': keyword 'long wait' is also a keyword of 'Long wait on the phone'" in text
    assert "'Thief': polarity 'angry'" in text
    assert len(problems) == 5


def test_check_cli_exit_codes(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    result = runner.invoke(app, ["taxonomy", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "OK, 3 themes (2 taggable)" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[theme]]\nname = "x"\n')
    result = runner.invoke(app, ["taxonomy", "check", str(bad)])
    assert result.exit_code == 1
    assert "description is missing" in result.output
    assert "Traceback" not in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text("[[theme]\nname=")
    result = runner.invoke(app, ["taxonomy", "check", str(broken)])
    assert result.exit_code == 1 and "not valid TOML" in result.output


def test_default_taxonomy_is_big_valid_and_two_level(tmp_path):
    tax = default_taxonomy()
    parents = {t.parent for t in tax.themes if t.parent}
    assert len(tax.taggable) >= 40
    assert len(parents) >= 8
    assert all(t.description for t in tax.themes)
    out = tmp_path / "mine.toml"
    result = runner.invoke(app, ["taxonomy", "init", str(out)])
    assert result.exit_code == 0, result.output
    assert check(out) == []


def test_default_covers_the_simulator_vocabulary():
    from cxloop.simulate.themes import THEME_NAMES

    tax = default_taxonomy()
    assert set(THEME_NAMES) <= {t.name for t in tax.taggable}


def test_append_theme_escapes_hostile_text(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(GOOD)
    hostile = 'He said "hi"\n""" [[theme]] \\ \x7f \u00e9'
    append_theme(path, Theme('New "one"', hostile, None, ('a "b"',), (hostile,), "negative"))
    data = tomllib.loads(path.read_text())
    assert data["theme"][-1]["description"] == hostile
    assert data["theme"][-1]["examples"] == [hostile]
    assert check(path) == []


def test_from_names_makes_plain_descriptions():
    tax = from_names(["card_arrival", "Refund_not_showing_up"])
    assert tax["card_arrival"].description == "The customer talks about card arrival."
    assert "refund not showing up" in tax["Refund_not_showing_up"].description.lower()
