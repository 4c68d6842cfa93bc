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
