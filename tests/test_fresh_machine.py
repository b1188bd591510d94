"""scripts/test, the README's test command: what it installs, or asks for, on a fresh machine.

Run with ``--dry-run`` (it runs nothing), with ``id`` and ``sudo`` stood in for on PATH to
play a user who is or is not root and has or has not passwordless sudo, and with
SCRIPTS_TEST_PRETEND_MISSING to play a machine without Chromium, redis-server or LibreOffice.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "test"
INSTALL_BOTH = (
    "sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive "
    "apt-get install -y chromium redis-server libreoffice-calc-nogui"
)
EVERYTHING = "chromium redis-server libreoffice-calc-nogui"


def stand_in(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """Run scripts/test as a given user (uid), with or without passwordless sudo."""

    def run(*args: str, uid: int, sudo_without_password: bool = False, missing: str = ""):
        stand_in(tmp_path, "id", f"echo {uid}")
        stand_in(tmp_path, "sudo", "exit 0" if sudo_without_password else "exit 1")
        stand_in(tmp_path, "apt-get", "echo apt-get must not run in these tests >&2; exit 99")
        env = {
            **os.environ,
            "PATH": f"{tmp_path}:{os.environ['PATH']}",
            "SCRIPTS_TEST_PRETEND_MISSING": missing,
        }
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
        )

    return run


def test_with_everything_installed_it_goes_straight_to_the_venv_and_pytest(machine):
    result = machine("--dry-run", "-x", "tests/test_cli.py", uid=1000)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "scripts/test: chromium, redis-server and libreoffice-calc-nogui are installed." in lines
    assert not any("apt-get" in line for line in lines)
    assert "scripts/test: would run: .venv/bin/pip install -q -r requirements-dev.txt" in lines
    assert lines[-1] == "scripts/test: would run: .venv/bin/python -m pytest -x tests/test_cli.py"


def test_not_root_without_passwordless_sudo_it_stops_with_the_command_to_run(machine):
    for args in (["--dry-run"], []):  # a real run stops the same way, before doing anything
        result = machine(*args, uid=1000, missing=EVERYTHING)
        assert result.returncode == 2
        assert INSTALL_BOTH in result.stderr.splitlines()
        assert "pytest" not in result.stdout


def test_only_what_is_missing_is_installed(machine):
    result = machine(uid=1000, missing="redis-server")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y redis-server"
    )


def test_not_root_with_passwordless_sudo_it_installs_with_sudo(machine):
    result = machine("--dry-run", uid=1000, sudo_without_password=True, missing="chromium")
    assert result.returncode == 0, result.stderr
    assert (
        "scripts/test: would run: sudo -n env DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -q chromium"
    ) in result.stdout.splitlines()


def test_as_root_it_installs_with_apt_get_directly(machine):
    result = machine("--dry-run", uid=0, missing=EVERYTHING)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "scripts/test: would run: apt-get update -q" in lines
    assert (
        "scripts/test: would run: env DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -q chromium redis-server libreoffice-calc-nogui"
    ) in lines
    assert not any("sudo" in line for line in lines)


def test_libreoffice_is_installed_when_soffice_is_missing(machine):
    result = machine("--dry-run", uid=0, missing="libreoffice-calc-nogui")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "scripts/test: missing Debian packages: libreoffice-calc-nogui" in lines
    assert (
        "scripts/test: would run: env DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -q libreoffice-calc-nogui"
    ) in lines
