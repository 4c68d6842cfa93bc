"""Errors a user can cause. Each message says what was given, what is allowed, and how to fix it.

The CLI prints `str(error)` as one line and the dashboard shows it on the page, so messages are
written for a person, not a traceback reader.
"""


class AecoreError(Exception):
    """Base class for every error aecore raises on purpose."""


class DatasetError(AecoreError):
    """A dataset is unknown, unavailable or malformed."""


class ModelError(AecoreError):
    """An unknown family, a bad option, or a model that does not fit its data."""


class StoreError(AecoreError):
    """The model store cannot list, load, save, rename or delete an entry."""


class ImportRefused(StoreError):
    """An imported .keras file is not a plain autoencoder this package can explore."""


class TrainingError(AecoreError):
    """Training could not go on (NaN loss, bad settings)."""


class TrainingCancelled(AecoreError):
    """The user stopped training; nothing was saved."""


class ImageError(AecoreError):
    """An uploaded or given image cannot be read or used."""
