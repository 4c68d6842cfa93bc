"""Snapshots of a model while it trains: how its code space forms, for the training timeline (issue #24).

A snapshot holds the codes of a fixed, seeded sample of test images (SAMPLE, or the whole test set if smaller;
VAE: the mean; spatial codes flattened; float16), the reconstructions of a fixed handful of them (uint8) and,
for a VAE with a 2-D code, its decoder's GRID x GRID latent grid (uint8), with the epoch (fractions inside the
first one, where most happens) and the training loss so far. They are taken after 1%, 3%, 10% and 30% of the
first epoch (more of them when a short run asks for at least `min_frames`) and after every epoch (every k-th
when there are more than EPOCH_FRAMES epochs, and the last), kept in memory, and saved with the model
(`snapshots.npz` beside `model.keras`, inside the store's atomic save). A job also writes them to its folder as
they land (each write atomic), so a page can follow a training that is still running.

Bounded: all snapshots of one model take at most MAX_BYTES. Pictures get at most half of it (fewer
reconstructions for large images; no grid if even that does not fit), codes the rest (a code too large for
the planned frames keeps fewer sample images: the first ones, so every frame shows the same images).
"""

import math
from pathlib import Path

import keras
import numpy as np

from aecore.analysis import inspection, probes
from aecore.base import atomic

SAMPLE = 2000  # test images whose codes every snapshot keeps
RECONSTRUCTIONS = 8  # of those, at most the first ones whose reconstructions it keeps
FIRST_EPOCH = (0.01, 0.03, 0.10, 0.30)  # fractions of the first epoch with a snapshot of their own
EPOCH_FRAMES = 60  # at most this many end-of-epoch snapshots
GRID = 8  # a 2-D VAE's decoded latent grid: GRID x GRID images per snapshot
MAX_BYTES = 5 * 2**20  # every snapshot of one model, together
OVERHEAD = 64 * 1024  # the npz's own, and the fixed arrays (indices, labels, originals)


def epoch_stride(epochs: int) -> int:
    """Every how many epochs a snapshot is taken, so there are at most EPOCH_FRAMES of them."""
    return max(1, math.ceil(epochs / EPOCH_FRAMES))


def planned_frames(epochs: int, min_frames: int = 0) -> int:
    return max(min_frames, len(FIRST_EPOCH) + math.ceil(epochs / epoch_stride(epochs)))


def first_epoch_shares(epochs: int, min_frames: int = 0) -> tuple[float, ...]:
    """The shares of the first epoch with a snapshot of their own: FIRST_EPOCH, or more of them, spaced ever wider
    from 1% to 90% (most happens early), when a short run would otherwise have fewer than `min_frames` snapshots
    (a quick-start model of one epoch had 5: its timeline played for 2.8 s)."""
    extra = planned_frames(epochs, min_frames) - planned_frames(epochs)
    if extra <= 0:
        return FIRST_EPOCH
    return tuple(float(share) for share in np.geomspace(0.01, 0.9, len(FIRST_EPOCH) + extra))


def pictures_that_fit(frames: int, image_size: int, grid: bool) -> tuple[int, bool]:
    """(reconstructions per snapshot, whether the grid fits) within half of MAX_BYTES over `frames` snapshots."""
    budget = MAX_BYTES // 2 // max(1, frames)
    grid = grid and GRID * GRID * image_size <= budget // 2
    budget -= GRID * GRID * image_size if grid else 0
    return max(1, min(RECONSTRUCTIONS, budget // image_size)), grid


def points_that_fit(code_size: int, frames: int, picture_bytes: int) -> int:
    """How many sample images fit MAX_BYTES over `frames` snapshots (float16 codes), beside `picture_bytes` of
    pictures per snapshot."""
    budget = MAX_BYTES - frames * picture_bytes - OVERHEAD
    return max(10, int(budget // max(1, frames * code_size * 2)))


class Recorder(keras.callbacks.Callback):
    """Takes the snapshots during `fit`; `live_path` (a job's folder file) gets every new snapshot at once."""

    def __init__(self, autoencoder, test_images, labels, epochs: int, batches: int, seed: int = 0,
                 live_path: str | None = None, min_frames: int = 0):
        super().__init__()
        chosen = probes.sample(len(test_images), SAMPLE, seed)  # sorted, seeded: the same images every snapshot
        frames, image_size = planned_frames(epochs, min_frames), int(np.prod(test_images.shape[1:]))
        self.kept, self.grid = pictures_that_fit(frames, image_size, autoencoder.is_variational and autoencoder.latent_dim == 2)
        picture_bytes = (self.kept + (GRID * GRID if self.grid else 0)) * image_size
        chosen = chosen[: points_that_fit(int(np.prod(autoencoder.code_shape)), frames, picture_bytes)]
        self.autoencoder, self.images, self.indices = autoencoder, test_images[chosen], chosen
        self.labels = labels[chosen] if labels is not None else None
        self.batches, self.live_path, self.epochs, self.stride = batches, live_path, epochs, epoch_stride(epochs)
        self.first_epoch_batches = sorted({max(1, round(share * batches))  # fewer if few batches
                                           for share in first_epoch_shares(epochs, min_frames)})
        self.epoch, self.done = 0, 0  # the epoch running, and its batches done
        self.frames = []  # (epoch as a float, loss, codes (n, d) float16, reconstructions (k, h, w, c) uint8, grid)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.done = epoch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.done = batch + 1
        if self.epoch == 0 and batch + 1 in self.first_epoch_batches and batch + 1 < self.batches:
            self.take((batch + 1) / self.batches, (logs or {}).get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        wanted = (epoch + 1) % self.stride == 0 or epoch + 1 == self.epochs
        if self.done == self.batches and wanted:  # a Stop ends the epoch early: that is no "end of epoch" to show
            self.take(float(epoch + 1), (logs or {}).get("loss"))

    def take(self, epoch: float, loss):
        codes = self.autoencoder.encode(self.images).reshape(len(self.images), -1).astype(np.float16)
        rebuilt = self.autoencoder.reconstruct(self.images[: self.kept])
        grid = inspection.latent_grid(self.autoencoder, steps=GRID)[0] if self.grid else None
        self.frames.append((epoch, float("nan") if loss is None else float(loss), codes, to_bytes(rebuilt),
                            None if grid is None else to_bytes(grid)))
        if self.live_path:
            atomic.write_arrays(Path(self.live_path), self.arrays(), compressed=False)  # rewritten at each one

    def arrays(self) -> dict:
        """What snapshots.npz holds: epochs (F,), losses (F,), codes (F, n, d), reconstructions (F, k, h, w, c),
        the sample's test indices (n,) and labels (n,) (-1 without labels), the clean images (k, h, w, c) and,
        for a 2-D VAE, grids (F, GRID, GRID, h, w, c)."""
        epochs, losses, codes, pictures, grids = zip(*self.frames) if self.frames else ((), (), (), (), ())
        labels = self.labels if self.labels is not None else np.full(len(self.indices), -1)
        originals = to_bytes(self.images[: self.kept])
        found = {"epochs": np.asarray(epochs, np.float32), "losses": np.asarray(losses, np.float32),
                 "codes": np.stack(codes) if codes else np.zeros((0, len(self.indices), 0), np.float16),
                 "reconstructions": np.stack(pictures) if pictures else np.zeros((0,) + originals.shape, np.uint8),
                 "indices": self.indices.astype(np.int32), "labels": np.asarray(labels, np.int32), "originals": originals}
        if self.grid and grids:
            found["grids"] = np.stack(grids)
        return found


def to_bytes(images) -> np.ndarray:
    """Images in [0, 1] -> uint8."""
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
