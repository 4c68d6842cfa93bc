"""The photo family's options and their checks, without Keras: the family table (aecore.models.families) lists them,
and pages that only read the table must not import TensorFlow. aecore.models.photonet builds the network.
"""

from dataclasses import dataclass

from aecore.errors import ModelError


@dataclass
class PhotoOptions:
    widths: tuple[int, ...] = (24, 48)  # channels at full and half resolution (the code has latent_dim channels)
    blocks: int = 2  # residual blocks (two 3x3 convs each) at quarter resolution
    task: str = "denoise"  # what it learns (aecore.photo.tasks.TASKS): denoise, colourise or unwatermark

TASKS = ("denoise", "colourise", "unwatermark")  # the same network for each; the pairs differ (aecore.photo.tasks)


def validate(latent_dim: int, options: PhotoOptions):
    widths = tuple(options.widths)
    if len(widths) != 2 or not all(int(width) > 0 for width in widths):
        raise ModelError(f"widths must be two positive integers (full and half resolution); got {list(widths)}")
    if not 0 <= int(options.blocks) <= 16:
        raise ModelError(f"blocks must be between 0 and 16; got {options.blocks}")
    if options.task not in TASKS:
        raise ModelError(f"unknown task {options.task!r}; the photo family's tasks are: {', '.join(TASKS)}")
    if not 1 <= int(latent_dim) <= 1024:
        raise ModelError(f"latent_dim is the code's channels for the photo family: 1 to 1024; got {latent_dim}")
