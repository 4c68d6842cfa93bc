"""Snapshots of a model while it trains: how its code space forms, for the training timeline (issue #24).

A snapshot holds the codes of a fixed, seeded sample of test images (SAMPLE, or the whole test set if smaller;
VAE: the mean; spatial codes flattened; float16) and the reconstructions of a fixed handful of them (uint8),
with the epoch (fractions inside the first one, where most happens) and the training loss so far. They are
taken after 1%, 3%, 10% and 30% of the first epoch and after every epoch, kept in memory, and saved with the
model (`snapshots.npz` beside `model.keras`, inside the store's atomic save). A job also writes them to its
folder as they land (each write atomic), so a page can follow a training that is still running.

Bounded: all snapshots of one model take at most MAX_BYTES; a code too large for the planned frames keeps
fewer sample images (the first ones, so every frame shows the same images).
"""

from pathlib import Path

import keras
import numpy as np

from aecore.analysis import probes
from aecore.store import atomic

SAMPLE = 2000  # test images whose codes every snapshot keeps
RECONSTRUCTIONS = 8  # of those, the first ones whose reconstructions it keeps
FIRST_EPOCH = (0.01, 0.03, 0.10, 0.30)  # fractions of the first epoch with a snapshot of their own
MAX_BYTES = 5 * 2**20  # every snapshot of one model, together


def points_that_fit(code_size: int, frames: int, image_size: int) -> int:
    """How many sample images fit MAX_BYTES over `frames` snapshots (float16 codes, uint8 reconstructions)."""
    budget = MAX_BYTES - frames * RECONSTRUCTIONS * image_size - 64 * 1024  # the npz's own overhead
    return max(10, int(budget // max(1, frames * code_size * 2)))


class Recorder(keras.callbacks.Callback):
    """Takes the snapshots during `fit`; `live_path` (a job's folder file) gets every new snapshot at once."""

    def __init__(self, autoencoder, test_images, labels, epochs: int, batches: int, seed: int = 0,
                 live_path: str | None = None):
        super().__init__()
        chosen = probes.sample(len(test_images), SAMPLE, seed)  # sorted, seeded: the same images every snapshot
        frames = epochs + len(FIRST_EPOCH)
        code_size = int(np.prod(autoencoder.code_shape))
        chosen = chosen[: points_that_fit(code_size, frames, int(np.prod(test_images.shape[1:])))]
        self.autoencoder, self.images, self.indices = autoencoder, test_images[chosen], chosen
        self.labels = labels[chosen] if labels is not None else None
        self.batches, self.live_path = batches, live_path
        self.first_epoch_batches = sorted({max(1, round(share * batches)) for share in FIRST_EPOCH})  # fewer if few batches
        self.epoch, self.done = 0, 0  # the epoch running, and its batches done
        self.frames = []  # (epoch as a float, loss, codes (n, d) float16, reconstructions (k, h, w, c) uint8)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.done = epoch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.done = batch + 1
        if self.epoch == 0 and batch + 1 in self.first_epoch_batches and batch + 1 < self.batches:
            self.take((batch + 1) / self.batches, (logs or {}).get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        if self.done == self.batches:  # a Stop ends the epoch early: that is no "end of epoch" to show
            self.take(float(epoch + 1), (logs or {}).get("loss"))

    def take(self, epoch: float, loss):
        codes = self.autoencoder.encode(self.images).reshape(len(self.images), -1).astype(np.float16)
        rebuilt = self.autoencoder.reconstruct(self.images[:RECONSTRUCTIONS])
        pictures = np.round(np.clip(rebuilt, 0, 1) * 255).astype(np.uint8)
        self.frames.append((epoch, float("nan") if loss is None else float(loss), codes, pictures))
        if self.live_path:
            atomic.write_arrays(Path(self.live_path), self.arrays())

    def arrays(self) -> dict:
        """What snapshots.npz holds: epochs (F,), losses (F,), codes (F, n, d), reconstructions (F, k, h, w, c),
        the sample's test indices (n,) and labels (n,) (-1 without labels), and the clean images (k, h, w, c)."""
        epochs, losses, codes, pictures = zip(*self.frames) if self.frames else ((), (), (), ())
        labels = self.labels if self.labels is not None else np.full(len(self.indices), -1)
        originals = np.round(self.images[:RECONSTRUCTIONS] * 255).astype(np.uint8)
        return {"epochs": np.asarray(epochs, np.float32), "losses": np.asarray(losses, np.float32),
                "codes": np.stack(codes) if codes else np.zeros((0, len(self.indices), 0), np.float16),
                "reconstructions": np.stack(pictures) if pictures else np.zeros((0,) + originals.shape, np.uint8),
                "indices": self.indices.astype(np.int32), "labels": np.asarray(labels, np.int32), "originals": originals}
