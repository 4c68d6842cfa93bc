"""The write-up's recipes against the project's families, same machine and data (issue #5, part 1).

Usage:
  python bench/reference.py run [--dataset NAME] [--only RUN,RUN] [--out bench/out/reference.jsonl]
  python bench/reference.py report [--out bench/out/reference.jsonl] [--plot bench/reference_curves.png]

`run` trains each run in turn and appends JSON lines: one per test-loss evaluation
({"run", "epoch", "seconds", "test_bce"}, where seconds is training wall time with the
evaluations taken out) and one summary per run ({"run", "summary": {...}}). `report` prints the
Markdown tables for bench/RESULTS.md and draws test BCE against wall time for every run.

The references are rebuilt from the write-up's description ("Building Autoencoders in Keras"):
Adam at its default rate, binary cross-entropy, pixels in [0, 1], the full training set, its
layer sizes, batch sizes and epochs. The project's runs go through `aecore.training.trainer.train` with the
family defaults, exactly what `python -m aecore train --family F` does.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from aecore.analysis import metrics
from aecore.data import catalog
from aecore.models import blocks
from aecore.models import layers as custom_layers
from aecore.training import trainer

BATCH = 1000  # test images per direct call when scoring


def reference_dense(shape):
    inputs = keras.Input(shape=shape)
    code = layers.Dense(32, activation="relu")(layers.Flatten()(inputs))  # (batch, 32)
    pixels = layers.Dense(math.prod(shape), activation="sigmoid")(code)
    return keras.Model(inputs, layers.Reshape(shape)(pixels))


def reference_deep(shape):
    inputs = keras.Input(shape=shape)
    hidden = layers.Flatten()(inputs)
    for width in (128, 64, 32, 64, 128):  # the code is the middle 32
        hidden = layers.Dense(width, activation="relu")(hidden)
    pixels = layers.Dense(math.prod(shape), activation="sigmoid")(hidden)
    return keras.Model(inputs, layers.Reshape(shape)(pixels))


def reference_conv(shape):
    inputs = keras.Input(shape=shape)
    features = inputs
    for filters in (16, 8, 8):
        features = layers.Conv2D(filters, 3, activation="relu", padding="same")(features)
        features = layers.MaxPooling2D(2, padding="same")(features)  # 28 -> 14 -> 7 -> 4: code (4, 4, 8)
    for filters, padding in ((8, "same"), (8, "same"), (16, "valid")):  # 4 -> 8 -> 16 -> (valid) 14 -> 28
        features = layers.Conv2D(filters, 3, activation="relu", padding=padding)(features)
        features = layers.UpSampling2D(2)(features)
    outputs = layers.Conv2D(shape[-1], 3, activation="sigmoid", padding="same")(features)
    return keras.Model(inputs, outputs)


def reference_vae(shape):
    """One dense hidden layer of 64, a 2-D code, reconstruction BCE summed over pixels plus KL."""
    inputs = keras.Input(shape=shape)
    hidden = layers.Dense(64, activation="relu")(layers.Flatten()(inputs))
    encoder = keras.Model(inputs, [layers.Dense(2)(hidden), layers.Dense(2)(hidden)])
    codes = keras.Input(shape=(2,))
    pixels = layers.Dense(math.prod(shape), activation="sigmoid")(layers.Dense(64, activation="relu")(codes))
    decoder = keras.Model(codes, layers.Reshape(shape)(pixels))
    return blocks.variational(encoder, decoder, kl_weight=1.0)


# name: (builder, batch size, epochs, code size). The write-up trains its VAE for 100 epochs at batch
# 32; we run 50 (its test loss has flattened by then; the curve is in the report) to fit one session.
REFERENCES = {
    "ref-dense": (reference_dense, 256, 50, 32),
    "ref-deep": (reference_deep, 256, 100, 32),
    "ref-conv": (reference_conv, 128, 50, 128),
    "ref-vae": (reference_vae, 32, 50, 2),
}
# name: (family, latent_dim, train settings[, family options]). All else is the family's default.
# The longer code-32 runs are what a user gets from the CLI with a few flags:
# conv-32-long: python -m aecore train --family conv --epochs 40 --schedule cosine --patience 0
# conv-32-wide: the same with --filters 64,128 --epochs 25
PROJECT = {
    "dense-32": ("dense", 32, {}),
    "deep-32": ("deep", 32, {}),
    "conv-32": ("conv", 32, {}),
    "vae-2": ("vae", 2, {}),
    "conv-128": ("conv", 128, {}),
    "conv-32-long": ("conv", 32, {"epochs": 40, "schedule": "cosine", "patience": 0}),
    "conv-32-wide": ("conv", 32, {"epochs": 25, "schedule": "cosine", "patience": 0}, {"filters": [64, 128]}),
}


class TestCurve(keras.callbacks.Callback):
    """Scores the test set `per_epoch` times an epoch (at least at its end), off the training clock."""

    def __init__(self, run, x_test, out, per_epoch=1):
        super().__init__()
        self.run, self.x_test, self.out, self.per_epoch = run, x_test, out, per_epoch
        self.every = None
        self.paused = 0.0
        self.epoch = 0

    def on_train_begin(self, logs=None):
        if self.per_epoch > 1:
            self.every = max(1, self.params["steps"] // self.per_epoch)
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.every and (batch + 1) % self.every == 0:
            self.score(self.epoch + (batch + 1) / self.params["steps"])

    def on_epoch_end(self, epoch, logs=None):
        self.score(epoch + 1.0)

    def score(self, epoch):
        clock = time.perf_counter()
        bce = float(metrics.binary_cross_entropy(self.x_test, reconstruct(self.model, self.x_test)).mean())
        self.paused += time.perf_counter() - clock
        line = {"run": self.run, "epoch": round(epoch, 3), "seconds": round(clock - self.started - self.paused, 2), "test_bce": bce}
        print(json.dumps(line), file=self.out, flush=True)
        print(f"{self.run} epoch {epoch:.2f} {line['seconds']:.1f}s test BCE {bce:.4f}", file=sys.stderr, flush=True)


def reconstruct(model, images):
    return np.concatenate([np.asarray(model(images[start:start + BATCH], training=False))
                           for start in range(0, len(images), BATCH)])


def summary_line(run, model, dataset, seconds, epochs, code_size, params):
    scores = metrics.summarize(dataset.x_test, reconstruct(model, dataset.x_test))
    floor = metrics.binary_entropy_floor(dataset.x_test)
    return {"run": run, "summary": {**scores, "floor": floor, "excess_bce": scores["bce"] - floor,
                                    "seconds": round(seconds, 2), "epochs": epochs, "code_size": code_size,
                                    "params": params}}


def run_reference(name, dataset, out, epochs=None):
    builder, batch_size, recipe_epochs, code_size = REFERENCES[name]
    epochs = epochs or recipe_epochs
    keras.utils.set_random_seed(0)
    model = builder(dataset.input_shape)
    model.compile(optimizer="adam", loss=None if isinstance(model, custom_layers.VariationalAutoencoder) else "binary_crossentropy")
    curve = TestCurve(name, dataset.x_test, out)
    model.fit(dataset.x_train, dataset.x_train, batch_size=batch_size, epochs=epochs, shuffle=True,
              callbacks=[curve], verbose=0)
    seconds = time.perf_counter() - curve.started - curve.paused
    return summary_line(name, model, dataset, seconds, epochs, code_size, model.count_params())


def run_project(name, dataset, out, epochs=None):
    family, latent_dim, settings, *options = PROJECT[name]
    config = trainer.TrainConfig(**{**settings, **({"epochs": epochs} if epochs else {})})
    curve = TestCurve(name, dataset.x_test, out, per_epoch=4)
    autoencoder = trainer.train(family, dataset, latent_dim, options[0] if options else None, config, callbacks=[curve])
    seconds = time.perf_counter() - curve.started - curve.paused
    return summary_line(name, autoencoder.model, dataset, seconds, autoencoder.meta["epochs_run"], latent_dim,
                        autoencoder.count_params())


def command_run(arguments):
    dataset = catalog.load_dataset(arguments.dataset)
    names = arguments.only.split(",") if arguments.only else [*REFERENCES, *PROJECT]
    Path(arguments.out).parent.mkdir(parents=True, exist_ok=True)
    with open(arguments.out, "a") as out:
        for name in names:
            runner = run_reference if name in REFERENCES else run_project
            line = runner(name, dataset, out, arguments.epochs)
            line["dataset"] = dataset.name
            print(json.dumps(line), file=out, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("run", "report"))
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--only", help="comma-separated run names: " + ", ".join([*REFERENCES, *PROJECT]))
    parser.add_argument("--epochs", type=int, help="override every run's epochs (smoke tests only)")
    parser.add_argument("--out", default="bench/out/reference.jsonl")
    parser.add_argument("--plot", default="bench/reference_curves.png")
    arguments = parser.parse_args()
    if arguments.command == "run":
        command_run(arguments)
    else:
        from bench import reference_report
        reference_report.main(arguments.out, arguments.plot)
