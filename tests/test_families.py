"""Every family builds on 8x8, 28x28 and RGB, trains with falling loss on real data, and round-trips."""

import numpy as np
import pytest

from aecore.errors import ModelError, TrainingError
from aecore.models import families
from aecore.training import trainer

ALL = families.fixed_size_families()  # the photo family (any size, its own trainer): tests/test_photos.py


@pytest.mark.parametrize("family", ALL)
@pytest.mark.parametrize("shape", [(8, 8, 1), (28, 28, 1), (12, 10, 3)])
def test_every_family_builds_with_matching_shapes(family, shape):
    autoencoder = families.build(family, shape, 4)
    images = np.random.default_rng(0).random((3,) + shape).astype("float32")
    assert autoencoder.reconstruct(images).shape == (3,) + shape
    codes = autoencoder.encode(images)
    assert codes.shape == (3,) + autoencoder.code_shape
    assert autoencoder.decode(codes).shape == (3,) + shape


def loss_key(family: str) -> str:
    """The end-to-end loss in a run's history: stacked names it after its pretraining stages."""
    return "fine-tuning loss" if family == "stacked" else "loss"


@pytest.mark.parametrize("family", ALL)
def test_every_family_learns_digits_and_round_trips(family, digits, store):
    config = trainer.TrainConfig(epochs=4, batch_size=64, patience=0)
    autoencoder = trainer.train(family, digits, 8, None, config)
    losses = [value for value in autoencoder.meta["history"][loss_key(family)] if value is not None]
    assert losses[-1] < losses[0], losses
    entry = store.save(autoencoder)
    loaded = store.load(entry.name)
    sample = digits.x_test[:32]
    np.testing.assert_allclose(loaded.reconstruct(sample), autoencoder.reconstruct(sample), atol=1e-6)
    np.testing.assert_allclose(loaded.encode(sample), autoencoder.encode(sample), atol=1e-6)
    # The optimizer state comes back too, so training can go on where it stopped.
    saved_state = [np.asarray(v) for v in autoencoder.model.optimizer.variables]
    loaded_state = [np.asarray(v) for v in loaded.model.optimizer.variables]
    assert len(saved_state) == len(loaded_state) > 1
    for before, after in zip(saved_state, loaded_state):
        np.testing.assert_allclose(before, after)


@pytest.mark.slow
@pytest.mark.parametrize("family", ALL)
def test_every_family_learns_fashion_mnist(family, fashion_small):
    # The contractive family's sigmoid code sits on a "predict the mean image" plateau for ~500 steps
    # (measured: 35 epochs of 2,000 images) before it learns; 40 epochs of this dense model take ~8 s.
    # The strided conv families leave the same plateau after ~50 steps (3 epochs here only just do).
    epochs = {"contractive": 40, "conv": 8, "denoising": 8}.get(family, 3)
    config = trainer.TrainConfig(epochs=epochs, batch_size=128, patience=0)
    autoencoder = trainer.train(family, fashion_small, 16, None, config)
    losses = [value for value in autoencoder.meta["history"][loss_key(family)] if value is not None]
    assert losses[-1] < losses[0]
    # A reference computed another way: predicting the mean training image for every test image.
    mean_image = fashion_small.x_train.mean(axis=0)
    baseline = float(np.mean((fashion_small.x_test - mean_image) ** 2))
    assert autoencoder.meta["metrics"]["test_mse"] < baseline


def test_vae_reports_both_loss_terms(trained):
    history = trained["vae"].meta["history"]
    for key in ("loss", "reconstruction_loss", "kl_loss", "val_reconstruction_loss", "val_kl_loss"):
        assert key in history


def test_denoising_noise_is_seeded_and_training_only(digits):
    autoencoder = families.build("denoising", digits.input_shape, 8, {"noise": "salt_and_pepper", "noise_level": 0.3})
    noise_layer = autoencoder.model.get_layer("training_noise")
    images = digits.x_test[:4]
    np.testing.assert_array_equal(np.asarray(noise_layer(images, training=False)), images)
    noisy = np.asarray(noise_layer(images, training=True))
    assert 0.1 < np.mean(noisy != images) < 0.5


@pytest.mark.parametrize("family, options, message", [
    ("nope", {}, "unknown family 'nope'; choose one of: dense"),
    ("sparse", {"sparsity": "l3"}, "sparsity must be 'l1' or 'kl'"),
    ("conv", {"code": "round"}, "code must be 'flat' or 'spatial'"),
    ("denoising", {"noise": "pink"}, "noise must be one of gaussian"),
    ("denoising", {"noise_level": 1.5}, "noise_level must be between 0 and 1"),
    ("deep", {"widths": []}, "widths must be a non-empty list"),
    ("dense", {"noise_level": 0.2}, "family 'dense' has no option noise_level"),
    ("vae", {"variant": "lstm"}, "variant must be 'conv' or 'dense'"),
])
def test_bad_family_options_are_explained(family, options, message):
    with pytest.raises(ModelError, match=message):
        families.build(family, (28, 28, 1), 8, options)


@pytest.mark.parametrize("latent, message", [(0, "latent_dim must be between 1 and 64"), (65, "latent_dim must be between 1 and 64")])
def test_latent_size_must_fit_the_input(latent, message):
    with pytest.raises(ModelError, match=message):
        families.build("dense", (8, 8, 1), latent)


def test_vae_needs_two_latent_dims():
    with pytest.raises(ModelError, match="a VAE needs latent_dim >= 2"):
        families.build("vae", (8, 8, 1), 1)


def test_bad_input_shape_is_explained():
    with pytest.raises(ModelError, match=r"input shape must be \(height, width, channels\)"):
        families.build("conv", (28, 28, 2), 8)


def test_a_model_refuses_images_of_another_shape(trained, fashion_small):
    with pytest.raises(ModelError, match=r"takes images of shape \(8, 8, 1\); got \(28, 28, 1\)"):
        trained["dense"].reconstruct(fashion_small.x_test[:2])


def test_the_families_with_a_trainer_of_their_own_find_it_in_the_training_room():
    """The family table (aecore.models) only marks them; aecore.training.trainer.own_trainer names the module, so no
    import points upward, not even one spelled as a string (tests/test_rooms.py)."""
    marked = [name for name, family in families.FAMILIES.items() if family.extra.get("trainer")]
    assert marked == ["photo"]
    assert all(callable(trainer.own_trainer(name).train) for name in marked)
    with pytest.raises(TrainingError, match="marked as having its own trainer, but none is known"):
        trainer.own_trainer("conv")
