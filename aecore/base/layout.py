"""Where the store is, and the rule for the names in it: the model store (aecore.store.modelstore) and your own
datasets inside it (aecore.data.owndata) both follow it, so a name that works for one works for the other."""

import os
import re
from pathlib import Path

DEFAULT_STORE = "models"  # the store when neither a path nor $AECORE_STORE says otherwise
NAME_LIMIT = 64  # characters in a model's or dataset's name


def store_root(root: str | os.PathLike | None = None) -> Path:
    """The store folder: the given path, else $AECORE_STORE, else ./models."""
    return Path(root or os.environ.get("AECORE_STORE") or DEFAULT_STORE)


def clean_name(name) -> str:
    """Letters, digits, '.', '_' and '-' only, at most NAME_LIMIT; never hidden, never a path; "" when nothing is
    left (the caller says what was wrong with the name)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(name)).strip(".-")[:NAME_LIMIT].strip(".-")
