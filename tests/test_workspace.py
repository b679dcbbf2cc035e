"""A workspace is a folder with cxloop.toml and two stores; opening it is safe and explained."""

import pytest
from typer.testing import CliRunner

from cxloop import Workspace
from cxloop.cli import app
from cxloop.errors import SettingsError, WorkspaceExists, WorkspaceNotFound

runner = CliRunner()


def test_init_creates_settings_and_both_stores(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    assert (tmp_path / "ws" / "cxloop.toml").is_file()
    assert (tmp_path / "ws" / "analytics.duckdb").is_file()
    assert ws.app.current_revision() == ws.app.head_revision()
    assert ws.analytics.count("responses") == 0
    ws.close()
    with pytest.raises(WorkspaceExists):
        Workspace.init(tmp_path / "ws")


def test_open_brings_an_old_app_store_up_to_date(tmp_path):
    Workspace.init(tmp_path / "ws").close()
    ws = Workspace.open(tmp_path / "ws")
    ws.app.downgrade("base")  # as if made by a cxloop without these tables
    assert ws.app.current_revision() is None
    ws.close()
    again = Workspace.open(tmp_path / "ws")
    assert again.app.current_revision() == again.app.head_revision()
    again.close()


def test_missing_and_invalid_workspaces_say_what_to_do(tmp_path):
    with pytest.raises(WorkspaceNotFound, match="cxloop init"):
        Workspace.open(tmp_path / "nowhere")
    Workspace.init(tmp_path / "ws").close()
    (tmp_path / "ws" / "cxloop.toml").write_text("[metrics]\nmin_group_responses = 'many'\n")
    with pytest.raises(SettingsError, match="min_group_responses"):
        Workspace.open(tmp_path / "ws")
    result = runner.invoke(app, ["metrics", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "min_group_responses" in result.stderr and "Traceback" not in result.output


def test_settings_command_shows_values_in_force(tmp_path):
    Workspace.init(tmp_path / "ws").close()
    toml = tmp_path / "ws" / "cxloop.toml"
    toml.write_text(
        toml.read_text().replace("gos_target_seconds = 20.0", "gos_target_seconds = 30")
    )
    result = runner.invoke(app, ["settings", "-w", str(tmp_path / "ws"), "-f", "csv"])
    assert result.exit_code == 0
    assert "metrics.gos_target_seconds,30.0,20.0," in result.stdout
