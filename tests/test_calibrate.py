"""`cxloop themes calibrate`: the threshold that best matches a user's own labels."""

from __future__ import annotations

from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.settings import Settings
from cxloop.text.calibrate import calibrate, score
from cxloop.text.taxonomy import from_names
from cxloop.workspace import Workspace

runner = CliRunner()

TAXONOMY = """
[[theme]]
name = "Long wait"
description = "The customer waited too long on hold or in a queue."

[[theme]]
name = "Rude staff"
description = "The person they spoke to was rude or dismissive."

[[theme]]
name = "Card not arrived"
description = "A new or replacement card has not arrived."
"""

LABELLED = """text,themes
I was on hold for nearly an hour,Long wait
45 minutes in the queue before anyone answered,Long wait
"The advisor was rude and hung up on me",Rude staff
she was really dismissive and sarcastic,Rude staff
my new card still hasn't come after two weeks,Card not arrived
"Replacement card never turned up, and I waited ages on the phone",Card not arrived;Long wait
thanks for your help today,
"""


def test_score_is_micro_precision_recall_f1():
    found = [{"a", "b"}, set(), {"c"}]
    wanted = [{"a"}, {"b"}, {"c"}]
    # tp = 2 (a, c), fp = 1 (b in the first), fn = 1 (b in the second)
    assert score(found, wanted) == {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}


def test_cli_finds_and_saves_the_best_threshold(tmp_path):
    (tmp_path / "themes.toml").write_text(TAXONOMY)
    (tmp_path / "labelled.csv").write_text(LABELLED)
    Workspace.init(tmp_path / "ws").close()
    result = runner.invoke(app, [
        "themes", "calibrate", "--input", str(tmp_path / "labelled.csv"), "--taxonomy",
        str(tmp_path / "themes.toml"), "--workspace", str(tmp_path / "ws"), "--save",
        "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.stdout)
    best = max(rows, key=lambda r: (r["f1"], -r["threshold"]))
    assert best["f1"] > 0.6
    saved = Settings.load(tmp_path / "ws" / "cxloop.toml")
    assert saved.text.theme_threshold == best["threshold"]


def test_labels_must_name_known_themes(tmp_path):
    (tmp_path / "labelled.csv").write_text("text,themes\nhello,Nope\n")
    result = runner.invoke(app, ["themes", "calibrate", "-i", str(tmp_path / "labelled.csv")])
    assert result.exit_code == 1
    assert "labels name themes not in the taxonomy: Nope" in result.output


def test_more_thresholds_never_embed_twice(monkeypatch):
    from cxloop.text.encoder import LazyEncoder

    embedded = []
    real = LazyEncoder.encode

    def counting(self, texts, progress=None):
        embedded.extend(texts)
        return real(self, texts, progress)

    monkeypatch.setattr(LazyEncoder, "encode", counting)
    tax = from_names(["card_arrival", "pin_blocked"])
    texts = ["where is my new card", "my pin is locked"]
    result = calibrate(tax, texts, [{"card_arrival"}, {"pin_blocked"}], thresholds=(0.3, 0.4, 0.5))
    assert [r["threshold"] for r in result.rows] == [0.3, 0.4, 0.5]
    assert sorted(t for t in embedded if t in texts) == sorted(texts)  # once each, not three times
    assert result.rows[0]["f1"] == 1.0
