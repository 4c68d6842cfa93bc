"""Bring your own autoencoder: models written the way notebooks write them, saved with `model.save`, imported.

Each model is built here as a user's notebook would (the Keras write-up's dense, deep and conv models, a
Sequential with Flatten ... Reshape, the keras.io VAE's encoder and decoder with its own `Sampling` class),
saved to a .keras file, imported, and checked: the stored encoder and decoder give the original model's
output (max abs difference <= 1e-5), and every refusal says which file and why.

Longer than 300 lines: the notebook models are saved once per module (the `saved` fixture, a few seconds each) and
every test here imports from them; split in two, each half would save them again.
"""

import json
import zipfile

import keras
import numpy as np
import pytest
from keras import layers, ops
from notebook_models import writeup_conv

from aecore.cli import main as cli
from aecore.errors import ImportRefused
from aecore.models import foreign
from aecore.store import serialization
from dashboard.text import md

TOLERANCE = 1e-5


class Sampling(layers.Layer):
    """The keras.io VAE example's layer, as a notebook defines it (not registered, no get_config)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class SeededSampling(Sampling):
    """A custom layer with a setting of its own: code from the file would be needed to load it."""

    def __init__(self, seed=7, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


# ---------------------------------------------------------------- notebook-style models

def writeup_dense(pixels=784, code=32):
    """'Building Autoencoders in Keras', first model: flat vectors, one Dense bottleneck."""
    input_img = keras.Input(shape=(pixels,))
    encoded = layers.Dense(code, activation="relu")(input_img)
    decoded = layers.Dense(pixels, activation="sigmoid")(encoded)
    return keras.Model(input_img, decoded)


def writeup_deep(pixels=784):
    input_img = keras.Input(shape=(pixels,))
    x = layers.Dense(128, activation="relu")(input_img)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    return keras.Model(input_img, layers.Dense(pixels, activation="sigmoid")(x))


def sequential_digits():
    """A Sequential on 8x8 digits: Flatten ... Reshape, with a Dropout that must stay off."""
    return keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(32, activation="relu"),
                             layers.Dropout(0.2), layers.Dense(6, activation="relu"),
                             layers.Dense(64, activation="sigmoid"), layers.Reshape((8, 8, 1))])


def conv_digits():
    """The write-up's conv recipe shrunk to 8x8 digits: 2x2x4 code."""
    image = keras.Input((8, 8, 1))
    x = layers.Conv2D(8, 3, activation="relu", padding="same")(image)
    x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Conv2D(4, 3, activation="relu", padding="same")(x)
    encoded = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.UpSampling2D(2)(encoded)
    x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
    x = layers.UpSampling2D(2)(x)
    return keras.Model(image, layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x))


def vae_digits(sampling=Sampling, latent_dim=2):
    """The keras.io VAE's encoder ([z_mean, z_log_var, z]) and decoder, on 8x8 digits."""
    encoder_inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(16, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(4 * 4 * 16, activation="relu")(latent_inputs)
    x = layers.Reshape((4, 4, 16))(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return encoder, keras.Model(latent_inputs, decoder_outputs, name="decoder")


def unet_digits():
    image = keras.Input((8, 8, 1))
    skip = layers.Conv2D(4, 3, padding="same", activation="relu", name="skip_conv")(image)
    x = layers.MaxPooling2D(2, name="down")(skip)
    x = layers.Conv2D(2, 3, padding="same", activation="relu", name="middle")(x)
    x = layers.UpSampling2D(2, name="up")(x)
    x = layers.Concatenate(name="join")([x, skip])
    return keras.Model(image, layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x))


def fit(model, images, epochs=1):
    """Two notebook lines: compile and fit on a few hundred images."""
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(images, images.reshape((len(images),) + model.output_shape[1:]), epochs=epochs, batch_size=64, verbose=0)
    return model


def reproduces(loaded, original, images, to_model=lambda x: x, from_model=lambda y: y):
    """Max abs difference between the stored encoder -> decoder and the original model (both in [0, 1] images)."""
    expected = np.clip(from_model(np.asarray(original(to_model(images)))).reshape(images.shape), 0.0, 1.0)
    return float(np.abs(loaded.decode(loaded.encode(images)) - expected).max())


@pytest.fixture(scope="module")
def saved(tmp_path_factory, digits):
    """The notebook models, trained a little on real digits and saved with model.save("x.keras")."""
    folder = tmp_path_factory.mktemp("notebook")
    keras.utils.set_random_seed(0)
    fit(sequential_digits(), digits.x_train[:300], epochs=2).save(folder / "sequential.keras")
    fit(conv_digits(), digits.x_train[:300]).save(folder / "conv8.keras")
    encoder, decoder = vae_digits()
    encoder.save(folder / "vae_encoder.keras")
    decoder.save(folder / "vae_decoder.keras")
    writeup_conv().save(folder / "writeup_conv.keras")
    writeup_dense().save(folder / "writeup_dense.keras")
    return folder


def run_cli(*arguments, capsys):
    code = cli.main(["import", *map(str, arguments)])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out.strip().splitlines()[-1]) if code == 0 else captured.err.strip())


# ---------------------------------------------------------------- imports through the CLI

@pytest.mark.slow
def test_cli_imports_the_writeup_conv_model_at_its_bottleneck(saved, store, capsys):
    original = keras.saving.load_model(saved / "writeup_conv.keras")
    encoded = original.layers[6].name  # the write-up's `encoded`, tied at 4x4x8 with the decoder's first conv
    code, result = run_cli(saved / "writeup_conv.keras", "--store", store.root, "--bottleneck", encoded, capsys=capsys)
    assert code == 0, result
    assert result["bottleneck"] == encoded and result["code_shape"] == [4, 4, 8]
    loaded = store.load(result["name"])
    assert loaded.family == "conv" and loaded.input_shape == (28, 28, 1)
    images = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
    assert reproduces(loaded, original, images) <= TOLERANCE
    assert [layer.name for layer in loaded.encoder.layers][-1] == encoded
    meta = store.meta(result["name"])
    assert meta["imported"]["value_range"] == "0-1" and meta["imported_from"] == "writeup_conv.keras"
    if meta["dataset"] != "imported":  # Fashion-MNIST or MNIST is installed: metrics and probes on its test set
        assert set(meta["metrics"]) == {"test_bce", "test_mse", "test_psnr", "test_ssim", "knn_accuracy",
                                        "linear_probe_accuracy"}


@pytest.mark.slow
def test_cli_imports_a_flat_dense_model_as_28x28_images(saved, store, capsys):
    original = keras.saving.load_model(saved / "writeup_dense.keras")
    code, result = run_cli(saved / "writeup_dense.keras", "--store", store.root, capsys=capsys)
    assert code == 0, result
    assert result["input_shape"] == [28, 28, 1] and result["code_shape"] == [32]
    assert result["bottleneck"] == original.layers[1].name
    images = np.random.default_rng(1).random((8, 28, 28, 1), dtype="float32")
    loaded = store.load(result["name"])
    assert reproduces(loaded, original, images, to_model=lambda x: x.reshape(len(x), 784)) <= TOLERANCE


@pytest.mark.slow
def test_cli_imports_the_kerasio_vae_from_two_files(saved, store, digits, capsys):
    encoder = keras.saving.load_model(saved / "vae_encoder.keras", custom_objects={"Sampling": Sampling})
    decoder = keras.saving.load_model(saved / "vae_decoder.keras")
    code, result = run_cli(saved / "vae_encoder.keras", "--decoder", saved / "vae_decoder.keras", "--store", store.root,
                           "--name", "their-vae", capsys=capsys)
    assert code == 0, result
    assert result["family"] == "vae" and result["dataset"] == "digits" and result["test_bce"] > 0
    loaded = store.load("their-vae")
    assert loaded.is_variational
    means, log_vars = loaded.encode_with_variance(digits.x_test[:16])
    expected_mean, expected_log_var, _ = encoder(digits.x_test[:16])
    assert np.abs(means - np.asarray(expected_mean)).max() <= TOLERANCE
    assert np.abs(log_vars - np.asarray(expected_log_var)).max() <= TOLERANCE
    assert np.abs(loaded.decode(means) - np.asarray(decoder(expected_mean))).max() <= TOLERANCE


@pytest.mark.slow
def test_cli_refusals_name_the_file_and_the_reason(tmp_path, store, capsys):
    inputs = keras.Input((8, 8, 1))
    keras.Model(inputs, layers.Dense(10)(layers.Flatten()(inputs))).save(tmp_path / "classifier.keras")
    code, message = run_cli(tmp_path / "classifier.keras", "--store", store.root, capsys=capsys)
    assert code == 2
    assert message.count("\n") == 0 and message.startswith("error: classifier.keras was refused:")
    assert "is it a classifier" in message and str(tmp_path) not in message
    whole = (tmp_path / "classifier.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(whole[: len(whole) // 2])
    assert run_cli(tmp_path / "cut.keras", "--store", store.root, capsys=capsys)[1] == \
        "error: cut.keras is not a .keras archive (not a zip file: truncated, HDF5 or something else)"
    assert store.names() == []


# ---------------------------------------------------------------- the split, in this process

def test_sequential_and_conv_models_reproduce_their_output(saved, digits):
    for filename, bottleneck, code_shape in [("sequential.keras", 3, (6,)), ("conv8.keras", 4, (2, 2, 4))]:
        original = keras.saving.load_model(saved / filename)
        loaded = foreign.build(original, None, foreign.ImportSettings())
        assert loaded.meta["imported"]["bottleneck"] == original.layers[bottleneck].name
        assert loaded.code_shape == code_shape
        assert reproduces(loaded, original, digits.x_test[:32]) <= TOLERANCE
        assert np.abs(loaded.reconstruct(digits.x_test[:32]) - np.asarray(original(digits.x_test[:32]))).max() <= TOLERANCE


def test_the_narrowest_layer_is_the_code_and_the_earliest_wins_a_tie():
    deep = writeup_deep(64)
    autoencoder = foreign.build(deep, None, foreign.ImportSettings())
    assert autoencoder.meta["imported"]["bottleneck"] == deep.layers[3].name and autoencoder.code_shape == (32,)
    conv = writeup_conv()
    tied = foreign.build(conv, None, foreign.ImportSettings())  # `encoded` and the next Conv2D are both 4x4x8
    assert tied.meta["imported"]["bottleneck"] == "encoded" == conv.layers[6].name  # the encoder's output
    assert [name for name, shape in tied.meta["imported"]["candidates"] if shape == [4, 4, 8]] == \
        [conv.layers[6].name, conv.layers[7].name]


def test_an_encoder_and_decoder_nested_under_any_names_are_inlined(digits):
    encoder = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, strides=2, padding="same"),
                                layers.Flatten(), layers.Dense(5)])
    decoder = keras.Sequential([keras.Input((5,)), layers.Dense(64, activation="sigmoid"), layers.Reshape((8, 8, 1))])
    model = keras.Sequential([encoder, decoder])
    loaded = foreign.build(model, None, foreign.ImportSettings())
    assert loaded.code_shape == (5,) and loaded.family == "conv"
    assert "conv2d" in [type(layer).__name__.lower() for layer in loaded.encoder.layers]  # Feature maps see it
    assert reproduces(loaded, model, digits.x_test[:16]) <= TOLERANCE


@pytest.mark.parametrize("value_range, activation, to_model, from_model", [
    ("0-255", None, lambda x: x * 255.0, lambda y: y / 255.0),
    ("-1-1", "tanh", lambda x: x * 2.0 - 1.0, lambda y: (y + 1.0) / 2.0),
])
def test_value_ranges_are_mapped_to_and_from_the_model(digits, value_range, activation, to_model, from_model):
    original = writeup_dense(64, 8)
    original = keras.Model(original.inputs, layers.Dense(64, activation=activation)(original.layers[-2].output))
    loaded = foreign.build(original, None, foreign.ImportSettings(value_range=value_range))
    images = digits.x_test[:16]
    def flat(x):
        return to_model(x).reshape(len(x), 64)
    assert reproduces(loaded, original, images, flat, from_model) <= TOLERANCE
    assert loaded.reconstruct(images).min() >= 0.0 and loaded.reconstruct(images).max() <= 1.0  # linear, clipped


def test_flat_rgb_and_given_image_shapes():
    assert foreign.build(writeup_dense(3 * 8 * 8, 4), None, foreign.ImportSettings()).input_shape == (8, 8, 3)
    settings = foreign.ImportSettings(image_shape=foreign.parse_image_shape("4,16,1"))
    assert foreign.build(writeup_dense(64, 4), None, settings).input_shape == (4, 16, 1)
    assert foreign.image_shape_for((28, 28), None) == (28, 28, 1)


# ---------------------------------------------------------------- refusals

def test_a_unet_is_refused_with_the_crossing_layers_named():
    with pytest.raises(ImportRefused, match="layer 'join' also takes the output of 'skip_conv', which does not pass "
                                            "through the bottleneck 'middle'"):
        foreign.build(unet_digits(), None, foreign.ImportSettings())


def test_a_bottleneck_that_is_not_a_layer_is_refused():
    with pytest.raises(ImportRefused, match="there is no layer 'nope' to take as the bottleneck; the layers are: dense"):
        foreign.build(writeup_dense(64, 8), None, foreign.ImportSettings(bottleneck="nope"))


def test_bad_settings_are_refused():
    with pytest.raises(ImportRefused, match="value range '0-2' is not one of 0-1, 0-255, -1-1"):
        foreign.build(writeup_dense(64, 8), None, foreign.ImportSettings(value_range="0-2"))
    with pytest.raises(ImportRefused, match=r"takes \(50,\), which is not an image .* \(--image-shape H,W,C\)"):
        foreign.build(writeup_dense(50, 8), None, foreign.ImportSettings())
    with pytest.raises(ImportRefused, match=r"image shape \(8, 8, 3\) has 192 pixels; the model takes \(64,\)"):
        foreign.build(writeup_dense(64, 8), None, foreign.ImportSettings(image_shape=(8, 8, 3)))
    with pytest.raises(ImportRefused, match="image shape '28,28' is not H,W,C"):
        foreign.parse_image_shape("28,28")


def test_halves_that_do_not_fit_are_refused():
    encoder, _ = vae_digits(latent_dim=2)
    _, decoder = vae_digits(latent_dim=3)
    with pytest.raises(ImportRefused, match=r"codes of shape \(2,\) but the decoder takes \(3,\); are these two halves"):
        foreign.build(encoder, decoder, foreign.ImportSettings())


def test_a_sampling_layer_with_settings_of_its_own_is_refused(tmp_path, store):
    encoder, decoder = vae_digits(SeededSampling)
    encoder.save(tmp_path / "encoder.keras")
    decoder.save(tmp_path / "decoder.keras")
    with pytest.raises(ImportRefused, match="encoder.keras: the model uses the class 'SeededSampling' .* save the "
                                            "encoder and the decoder as two .keras files"):
        serialization.import_model(tmp_path / "encoder.keras", store, decoder=tmp_path / "decoder.keras")


def registered_sampling():
    """The keras.io layer as a notebook that registers it writes it: the file names it "Custom>Sampling"."""
    class Sampling(UnregisteredSampling):
        pass
    return keras.saving.register_keras_serializable()(Sampling)


UnregisteredSampling = Sampling


def test_a_registered_sampling_layer_is_taken_like_an_unregistered_one(tmp_path, store, digits):
    encoder, decoder = vae_digits(registered_sampling())
    encoder.save(tmp_path / "encoder.keras")
    decoder.save(tmp_path / "decoder.keras")
    with zipfile.ZipFile(tmp_path / "encoder.keras") as archive:
        assert '"registered_name": "Custom>Sampling"' in archive.read("config.json").decode()  # what was refused
    entry = serialization.import_model(tmp_path / "encoder.keras", store, decoder=tmp_path / "decoder.keras", name="registered")
    loaded = store.load(entry.name)
    expected_mean, _, _ = encoder(digits.x_test[:8])
    assert loaded.is_variational and np.abs(loaded.encode(digits.x_test[:8]) - np.asarray(expected_mean)).max() <= TOLERANCE


def test_a_plain_sampling_layer_is_accepted_and_a_configured_one_is_not():
    base = {"name": "sampling", "trainable": True, "dtype": "float32"}
    plain = {"module": "__main__", "class_name": "Sampling", "registered_name": "Sampling", "config": base}
    serialization.check_config(plain)
    serialization.check_config({**plain, "registered_name": "Custom>Sampling"})
    with pytest.raises(ImportRefused, match="the class 'Sampling' from '__main__'"):
        serialization.check_config({**plain, "config": {**base, "seed": 3}})
    with pytest.raises(ImportRefused, match="the class 'Sampling' from 'evil'"):  # Keras would import the module
        serialization.check_config({**plain, "module": "evil", "registered_name": None})


def test_a_dataset_of_another_size_is_refused():
    with pytest.raises(ImportRefused, match=r"digits has \(8, 8, 1\) images; dense.keras takes \(28, 28, 1\). "
                                            "Datasets of that size: fashion_mnist"):
        serialization.measuring_dataset("digits", (28, 28, 1), "dense.keras", ["fashion_mnist"])


# ---------------------------------------------------------------- the Train / load page, then every explore page

EXPLORE_PAGES = {"views/reconstructions.py": "Reconstructions", "views/feature_maps.py": "Feature maps",
                 "views/latent_map.py": "Latent map", "views/latent_sampler.py": "Latent sampler",
                 "views/denoise.py": "Restore"}


def import_on_the_page(monkeypatch, store, uploads: dict):
    """Uploads the files on Train / load, inspects, imports, presses Explore; returns the AppTest."""
    from pages import open_app

    monkeypatch.setenv("AECORE_STORE", str(store.root))
    app = open_app("train", check=False)
    for key, path in uploads.items():
        app.file_uploader(key=key).set_value((path.name, path.read_bytes(), "application/octet-stream"))
    app = app.run()
    app = app.button(key="import-inspect").click().run()
    assert not app.exception and not app.error, [error.value for error in app.error]
    return app


@pytest.mark.slow
def test_the_page_imports_a_conv_model_and_every_explore_page_works_with_it(saved, store, monkeypatch):
    app = import_on_the_page(monkeypatch, store, {"import-model": saved / "conv8.keras"})
    found = " ".join(info.value for info in app.info)
    bottleneck = keras.saving.load_model(saved / "conv8.keras").layers[4].name
    assert f"code (2, 2, 4) from layer **{md(bottleneck)}**" in found  # a layer's name is data: escaped Markdown
    assert app.selectbox(key="import-bottleneck").value == bottleneck
    assert app.selectbox(key="import-dataset").options == ["digits"]  # the only 8x8 dataset
    app = app.button(key="import-confirm").click().run()
    assert not app.exception
    assert any("Imported as **conv8**" in success.value for success in app.success)
    assert np.isfinite(store.meta("conv8")["metrics"]["test_bce"])  # computed on the digits test set
    app.button(key="import-explore").click().run()
    for page, title in EXPLORE_PAGES.items():
        app = app.switch_page(page).run()
        assert not app.exception, (page, app.exception)
        assert app.title[0].value == title and app.sidebar.selectbox(key="model").value == "conv8"
        assert not app.error, (page, [error.value for error in app.error])
        if page == "views/feature_maps.py":  # its own conv layers, encoder and decoder
            assert not any("no convolutional layers" in info.value for info in app.info)
        if page == "views/latent_map.py":  # every image's map: its job's progress (it runs in its own process), or the map
            assert app.get("progress") or app.get("bidi_component")


@pytest.mark.slow
def test_the_page_imports_a_vae_from_two_uploads(saved, store, monkeypatch):
    app = import_on_the_page(monkeypatch, store, {"import-model": saved / "vae_encoder.keras",
                                                  "import-decoder": saved / "vae_decoder.keras"})
    assert any("a variational encoder" in info.value for info in app.info)
    app.text_input(key="import-name").set_value("notebook-vae")
    app = app.button(key="import-confirm").click().run()
    assert any("Imported as **notebook-vae**" in success.value for success in app.success)
    app.button(key="import-explore").click().run()
    app = app.switch_page("views/latent_sampler.py").run()
    assert not app.exception and not app.error
    assert app.sidebar.selectbox(key="model").value == "notebook-vae"
    assert any("prior" in caption.value for caption in app.caption)


def test_a_residual_path_from_the_input_is_refused():
    image = keras.Input((64,))
    decoded = layers.Dense(64)(layers.Dense(4, name="code")(image))
    model = keras.Model(image, layers.Add(name="residual")([decoded, image]))
    with pytest.raises(ImportRefused, match="layer 'residual' also takes the output of the model's input, which does "
                                            "not pass through the bottleneck 'code'"):
        foreign.build(model, None, foreign.ImportSettings())
