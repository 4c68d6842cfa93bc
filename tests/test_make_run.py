"""`make run` tries once, quietly and never fatally, to install Debian's Fashion-MNIST (issue #10).

The Makefile and the install script run for real in a copy of the project, with `id`, `sudo` and
`apt-get` replaced by small scripts on PATH, so both a user without root and root are exercised.
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_STAMP = ".venv/.fashion-mnist-tried"


def fake_command(folder: Path, name: str, body: str):
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def project(tmp_path):
    """A copy of the Makefile and the install script, with an installed-looking .venv and fake tools."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    (tmp_path / "scripts").mkdir()
    for name in ("Makefile", "requirements.txt", "requirements-data.txt", "scripts/ensure_system_packages.sh"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()  # newer than requirements.txt: no pip install
    tools = tmp_path / "tools"
    tools.mkdir()
    fake_command(tools, "apt-get", f'echo "$@" >> {tmp_path}/apt-calls')
    return tmp_path, tools


def make_data_step(folder: Path, tools: Path, user_id: int) -> subprocess.CompletedProcess:
    fake_command(tools, "id", f"echo {user_id}")
    environment = {**os.environ, "PATH": f"{tools}:/usr/bin:/bin", "AECORE_FASHION_DIR": str(folder / "no-such-dir")}
    return subprocess.run(["make", "--no-print-directory", DATA_STAMP], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_without_root_make_run_says_what_it_starts_on_and_tries_only_once(project):
    folder, tools = project
    if shutil.which("sudo", path="/usr/bin:/bin"):
        fake_command(tools, "sudo", "exit 1")  # a sudo that asks for a password
    first = make_data_step(folder, tools, 1000)
    assert first.returncode == 0, first.stderr
    assert "the app starts on 8x8 digits" in first.stdout
    assert "sudo apt-get install dataset-fashion-mnist" in first.stdout  # how to get it
    assert (folder / DATA_STAMP).is_file() and not (folder / "apt-calls").exists()
    second = make_data_step(folder, tools, 1000)
    assert second.returncode == 0 and "digits" not in second.stdout  # once: no second attempt, no second note


def test_as_root_make_run_installs_the_package_quietly(project):
    folder, tools = project
    result = make_data_step(folder, tools, 0)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    calls = (folder / "apt-calls").read_text().splitlines()
    assert calls[0] == "update -qq" and calls[1].startswith("install") and "dataset-fashion-mnist" in calls[1]
    assert "chromium" not in calls[1]  # `make run` does not need a browser
