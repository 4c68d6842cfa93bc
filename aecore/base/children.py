"""`python -m aecore ...` in a child process: the same interpreter, and this same aecore first on its path, so a
server or CLI started from another folder runs its own code in the training workers, map jobs and model inspection
it starts."""

import os
import sys

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the folder aecore is in


def environment(**extra: str) -> dict:
    """This process's environment with `extra` on top and aecore's folder first on PYTHONPATH."""
    path = os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
    return {**os.environ, **extra, "PYTHONPATH": path}


def command(*arguments, module: str = "aecore") -> list[str]:
    """The command line of `python -m <module> arguments...` with this interpreter."""
    return [sys.executable, "-m", module, *(str(argument) for argument in arguments)]


def lower_priority(pid: int, niceness: int):
    """Runs process `pid` at `niceness` below this one, also when it leads a session of its own (start_new_session).
    Linux's autogroup schedules each session as one group: a niced process alone in its session then competes with
    the server's whole session as an equal (a nice 19 training took ~1.8 of 2 cores beside the server), so the group's
    nice is set too (/proc/PID/autogroup; kernels without it only get the process's). Only for a session's leader:
    the group of a process in this session is this process's own."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, niceness)
        leader = os.getsid(pid) == pid
    except OSError:  # ended already
        return
    if not leader:
        return
    try:
        with open(f"/proc/{pid}/autogroup", "w") as group:
            group.write(str(niceness))
    except OSError:  # no autogroup here, or the process ended
        pass


def nice_own_session():
    """Gives this process's session group its nice when this process leads a session of its own: a training started
    with `setsid nice -n 19 ...` (bench/RESULTS.md's resume commands) is otherwise scheduled beside the team's
    sessions as an equal (autogroup; lower_priority)."""
    lower_priority(os.getpid(), os.nice(0))
