"""Where settings come from, and which backend they choose."""

from __future__ import annotations

from sumo_sheets import create_app


def test_sumo_environment_variables_override_the_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMO_WORKBOOK", str(tmp_path / "from-env.xlsx"))
    monkeypatch.setenv("SUMO_SECRET_KEY", "from-env-0123456789")
    app = create_app()
    assert app.config["WORKBOOK"] == str(tmp_path / "from-env.xlsx")
    assert app.config["SECRET_KEY"] == "from-env-0123456789"
    assert app.extensions["sumo_storage"].backend_name == "workbook"


def test_test_config_overrides_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMO_WORKBOOK", str(tmp_path / "env.xlsx"))
    app = create_app({"WORKBOOK": str(tmp_path / "test.xlsx"), "SECRET_KEY": "x"})
    assert app.config["WORKBOOK"] == str(tmp_path / "test.xlsx")


def test_the_workbook_defaults_to_the_instance_folder(monkeypatch):
    monkeypatch.delenv("SUMO_WORKBOOK", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["WORKBOOK"].endswith("instance/sumo-schedule.xlsx")


def test_in_tests_without_a_secret_key_one_is_made_once_and_kept_in_the_instance_folder(tmp_path):
    from flask import Flask

    from sumo_sheets.config import load_config

    first, second = (Flask("x", instance_path=str(tmp_path / "instance")) for _ in range(2))
    first.testing = second.testing = True
    load_config(first, None)
    load_config(second, None)
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_creating_the_app_makes_a_missing_workbook_and_leaves_an_existing_one_alone(tmp_path):
    # A first start makes the workbook (docs: README, "The workbook"); after that, starting
    # the site neither reads nor writes it.
    create_app({"WORKBOOK": str(tmp_path / "lazy.xlsx"), "SECRET_KEY": "x"})
    made = tmp_path / "lazy.xlsx"
    assert made.exists()
    before = (made.stat().st_mtime_ns, made.read_bytes())
    create_app({"WORKBOOK": str(made), "SECRET_KEY": "x"})
    assert (made.stat().st_mtime_ns, made.read_bytes()) == before
