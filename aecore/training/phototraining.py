"""Training the photo family: batches of fresh noisy patches, the same progress, cancel and NaN stop
as every other family (aecore.training.loop.Monitor), and a held-out PSNR in the stored metadata.

aecore.training.trainer.train hands photo runs here, so the CLI, the job runner and the tests share one call.
The learning rate always follows a cosine decay over the planned steps: a short run gains ~0.2 dB from it.
Colourise also trains on a dataset of small colour images (a user's own, 8 px a side or more): each image is a
"photo", patches are the whole image (up to 64 px), and the held-out score is on the first SMALL_TEST_IMAGES test
images, beside the grey input and the dataset's own mean colour (`images_as_photos`).
"""

import dataclasses
import time

import keras
import numpy as np

from aecore.analysis import metrics
from aecore.data import noise, photos
from aecore.errors import TrainingCancelled, TrainingError
from aecore.models import families
from aecore.photo import tasks, tiling
from aecore.training import loop

SMALL_TEST_IMAGES = 300  # a small-image dataset's test images scored after training (one call each: seconds)
SMALL_SIDE = 8  # the smallest image side colourise trains on (two stride-2 stages leave 2x2)


class PatchBatches(keras.utils.PyDataset):
    """`steps` batches of (input, target) patches per epoch for `task` (aecore.photo.tasks; denoise: noisy and clean),
    fresh every epoch, repeatable by `seed`."""

    def __init__(self, train_photos, batch_size: int, steps: int, seed: int, patch: int = photos.PATCH,
                 task: str = "denoise"):
        super().__init__()
        self.photos, self.batch_size, self.steps, self.seed, self.patch = train_photos, batch_size, steps, seed, patch
        self.epoch, self.task = 0, task

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        random = np.random.default_rng([self.seed, self.epoch, index])
        return tasks.pairs(self.task, self.photos, self.batch_size, random, self.patch)

    def on_epoch_end(self):
        self.epoch += 1


def images_as_photos(dataset) -> photos.PhotoDataset:
    """A dataset of small colour images (aecore.data.dataset.Dataset) as a PhotoDataset for colourise: every train
    image a photo, the first SMALL_TEST_IMAGES test images held out."""
    height, width, channels = dataset.input_shape
    if channels != 3:
        raise TrainingError(f"colourise learns colour from colour images, and {dataset.name!r} is grey "
                            f"({height}x{width}x{channels}); give a colour dataset (python -m aecore datasets add NAME "
                            "FOLDER --colour)")
    if min(height, width) < SMALL_SIDE:
        raise TrainingError(f"colourise needs images at least {SMALL_SIDE} px a side; {dataset.name!r} has "
                            f"{height}x{width}")
    as_photos = [photos.Photo(f"{split} {index}", image) for split, images in (("train", dataset.x_train),
                 ("test", dataset.x_test[:SMALL_TEST_IMAGES])) for index, image in enumerate(images)]
    return photos.PhotoDataset(dataset.name, as_photos[: len(dataset.x_train)], as_photos[len(dataset.x_train) :],
                               dataset.source)


def dataset_mean_chroma(dataset: photos.PhotoDataset) -> tuple[float, float] | None:
    """The mean (Cb, Cr) of a small-image dataset's training images (the first 5,000): its mean-colour baseline;
    None for photos, whose baseline is aecore.photo.classical.MEAN_CHROMA (the recipe photos' mean)."""
    from aecore.photo import restoring

    if _patch_side(dataset) >= photos.PATCH:
        return None
    return restoring.mean_chroma(np.stack([photo.pixels for photo in dataset.train[:5000]]))


def _patch_side(dataset: photos.PhotoDataset) -> int:
    """photos.PATCH, or for small images the largest multiple of 4 that fits in every one (the whole image)."""
    smallest = min(min(photo.pixels.shape[:2]) for photo in dataset.train)
    return min(photos.PATCH, smallest // 4 * 4) if smallest < photos.PATCH else photos.PATCH


def task_dataset(dataset, task: str) -> photos.PhotoDataset:
    """What a photo model of `task` trains and is scored on: photos, or for colourise a dataset of small colour images
    as photos (images_as_photos); anything else is refused with what to give instead."""
    if task == "colourise" and getattr(dataset, "x_train", None) is not None:
        dataset = images_as_photos(dataset)
    if not isinstance(dataset, photos.PhotoDataset):
        name = getattr(dataset, "name", type(dataset).__name__)
        raise TrainingError(f"the photo family trains on full-size photos, not on {name!r}; use --dataset photos "
                            "or a folder of your photos (python -m aecore train --family photo --dataset FOLDER); "
                            "with --task colourise, a dataset of colour images too")
    if not dataset.train:
        raise TrainingError(f"{dataset.name!r} has no training photos; add photos to it")
    return dataset


def _resolved(spec: families.Family, config: loop.TrainConfig | None) -> loop.TrainConfig:
    config = dataclasses.replace(config or loop.TrainConfig(), schedule="cosine", validation_split=0.0)
    config.epochs = config.epochs if config.epochs is not None else spec.epochs
    return loop.resolve_config(spec, config, train_images=1)


def train(dataset, latent_dim=None, options=None, config=None, progress=None, cancel=None, callbacks=None):
    """Builds and trains a photo model on `dataset` (a PhotoDataset); same contract as aecore.training.trainer.train."""
    spec = families.get_family("photo")
    options = families.make_options("photo", options)
    dataset = task_dataset(dataset, options.task)
    latent_dim = spec.latent_dim if latent_dim is None else int(latent_dim)
    config = _resolved(spec, config)
    batches = PatchBatches(dataset.train, config.batch_size, photos.STEPS_PER_EPOCH, config.seed, _patch_side(dataset),
                           options.task)
    keras.utils.set_random_seed(config.seed)
    autoencoder = spec.build((None, None, 3), latent_dim, options)
    optimizer = keras.optimizers.Adam(learning_rate=loop.learning_rate(config, photos.STEPS_PER_EPOCH))
    # XLA: 0.24-0.26 s per batch of 16 64x64 patches against 0.40-0.51 s without (2 cores, the default model)
    autoencoder.model.compile(optimizer=optimizer, loss="mse", jit_compile=True)
    monitor = loop.Monitor(config.epochs, photos.STEPS_PER_EPOCH, progress, cancel)
    started = time.perf_counter()
    autoencoder.model.fit(batches, epochs=config.epochs, callbacks=[monitor, *(callbacks or [])], verbose=0)
    seconds = time.perf_counter() - started
    if monitor.nan_at is not None:
        epoch, batch = monitor.nan_at
        raise TrainingError(f"the loss became NaN at epoch {epoch}, batch {batch}, so training stopped and nothing "
                            f"was saved; lower the learning rate (it was {config.learning_rate:g}) and try again")
    if monitor.cancelled:
        raise TrainingCancelled(f"training was stopped at epoch {monitor.epoch} of {config.epochs}; nothing was saved")
    autoencoder.meta.update(describe_run(autoencoder, dataset, config, monitor.history, seconds))
    return autoencoder


def describe_run(autoencoder, dataset, config, history, seconds) -> dict:
    """What the store keeps; the metric is the mean PSNR of held-out photos at sigma 25/255 (centre crops), or for
    colourise and unwatermark that of the grey or watermarked and the restored ones (aecore.photo.restoring)."""
    task = tasks.task_of(autoencoder.options)
    if task != "denoise":
        return _describe_restore_run(autoencoder, dataset, config, history, seconds, task)
    scores = held_out_psnr(autoencoder, dataset.test) if dataset.test else {}
    return {
        "family": "photo",
        "options": autoencoder.options,
        "latent_dim": autoencoder.meta["latent_dim"],
        "code_shape": [None, None, autoencoder.meta["latent_dim"]],
        "dataset": dataset.name,
        "dataset_source": dataset.source,
        "input_shape": [None, None, 3],
        "class_names": None,
        "params": autoencoder.count_params(),
        "train_seconds": round(seconds, 3),
        "epochs_run": len(next(iter(history.values()), [])),
        "train_images": len(dataset.train),
        "train_patches": int(len(next(iter(history.values()), [])) * photos.STEPS_PER_EPOCH * config.batch_size),
        "train_config": dataclasses.asdict(config),
        "history": history,
        "held_out_photos": [photo.name for photo in dataset.test],
        "metrics": {f"test_{key}_sigma25": round(value, 3) for key, value in scores.items()},
        "notes": [f"patches {photos.PATCH}x{photos.PATCH}, Gaussian sigma uniform in [0, 50/255], every photo equally, flat crops redrawn, cosine schedule"],
    }


def held_out_psnr(autoencoder, held_out: list[photos.Photo], sigma: float = photos.EVAL_SIGMA, seed: int = 0) -> dict:
    """Mean PSNR of noisy and denoised centre crops of `held_out` at noise level `sigma` (0..1)."""
    noisy_scores, denoised_scores = [], []
    for number, photo in enumerate(held_out):
        clean = photos.centre_crop(photo.pixels)
        noisy = noise.add_noise(clean, "gaussian", sigma, seed + number)
        denoised = tiling.denoise(autoencoder, noisy)
        noisy_scores.append(float(metrics.psnr(clean[None], noisy[None])[0]))
        denoised_scores.append(float(metrics.psnr(clean[None], denoised[None])[0]))
    return {"psnr_noisy": float(np.mean(noisy_scores)), "psnr": float(np.mean(denoised_scores))}


def _describe_restore_run(autoencoder, dataset, config, history, seconds, task) -> dict:
    from aecore.photo import restoring

    small = _patch_side(dataset) < photos.PATCH
    chroma = dataset_mean_chroma(dataset) if small else None
    scores = restoring.held_out_scores(autoencoder, task, dataset.test, anchors=small, mean_chroma=chroma) \
        if dataset.test else {}
    scores = {("psnr_mean_colour" if key == "psnr_anchor" else key): value for key, value in scores.items()}
    epochs = len(next(iter(history.values()), []))
    return {
        "family": "photo", "task": task, "options": autoencoder.options, "latent_dim": autoencoder.meta["latent_dim"],
        "code_shape": [None, None, autoencoder.meta["latent_dim"]], "dataset": dataset.name,
        "dataset_source": dataset.source, "input_shape": [None, None, 3], "class_names": None,
        "params": autoencoder.count_params(), "train_seconds": round(seconds, 3), "epochs_run": epochs,
        "train_images": len(dataset.train), "train_patches": int(epochs * photos.STEPS_PER_EPOCH * config.batch_size),
        "train_config": dataclasses.asdict(config), "history": history,
        **({"held_out_images": len(dataset.test)} if small else {"held_out_photos": [p.name for p in dataset.test]}),
        "metrics": {f"test_{key}": round(value, 3) for key, value in scores.items() if key != "images"},
        "notes": [f"{task}: patches {_patch_side(dataset)}x{_patch_side(dataset)} made on the fly "
                  "(aecore.photo.tasks), "
                  "cosine schedule" + (f"; the dataset's mean colour (Cb, Cr) {chroma[0]:.3f}, {chroma[1]:.3f} is the "
                                       "baseline" if small else "")],
    }
