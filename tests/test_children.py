"""Child processes run below the server: a map job, which leads a session of its own, is niced as a group too
(Linux's autogroup schedules sessions as equals whatever their processes' nice)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aecore.base import children


def autogroup_nice(pid: int) -> int:
    """The nice of `pid`'s autogroup, from "/autogroup-1 nice 0"."""
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def autogroup_writable() -> bool:
    """Whether this machine's kernel has autogroup and lets us set a group's nice (our own, to what it is already).
    Some sandboxes list the file but leave it empty (a CI machine did): no autogroup there either."""
    try:
        Path(f"/proc/{os.getpid()}/autogroup").write_text(str(autogroup_nice(os.getpid())))
        return True
    except (OSError, ValueError, IndexError):
        return False


AUTOGROUP = pytest.mark.skipif(not autogroup_writable(), reason="no autogroup here, or its nice cannot be set")


@pytest.fixture
def sleeper():
    started = []

    def start(**options) -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], **options))
        return started[-1]
    yield start
    for process in started:
        process.kill()
        process.wait()


@AUTOGROUP
def test_a_session_of_its_own_is_niced_as_a_group(sleeper):
    process = sleeper(start_new_session=True)
    children.lower_priority(process.pid, 7)
    assert os.getpriority(os.PRIO_PROCESS, process.pid) == 7
    assert autogroup_nice(process.pid) == 7


@AUTOGROUP
def test_a_child_in_this_session_leaves_this_sessions_group_alone(sleeper):
    ours = autogroup_nice(os.getpid())
    process = sleeper()
    children.lower_priority(process.pid, 7)
    assert os.getpriority(os.PRIO_PROCESS, process.pid) == 7
    assert autogroup_nice(os.getpid()) == ours == autogroup_nice(process.pid)


def test_a_process_that_ended_is_no_error(sleeper):
    process = sleeper()
    process.kill()
    process.wait()
    children.lower_priority(process.pid, 7)  # nothing to lower, and no exception


@AUTOGROUP
def test_a_training_started_with_setsid_nice_gives_its_session_group_its_nice():
    code = "import os, time; os.nice(9); from aecore.base import children; children.nice_own_session(); time.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, env=children.environment())
    try:
        deadline = time.monotonic() + 30
        while autogroup_nice(process.pid) != 9 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert autogroup_nice(process.pid) == 9 and os.getpriority(os.PRIO_PROCESS, process.pid) == 9
    finally:
        process.kill()
        process.wait()
