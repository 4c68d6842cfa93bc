"""The Latent sampler opens on something worth seeing: the plane on the two dimensions whose test codes vary
most, dead dimensions marked, and the decoder's size in KB when it is small."""

from pathlib import Path

import numpy as np
import pytest
from pages import open_app

from aecore.store.modelstore import ModelStore
from aecore.training import trainer
from dashboard.sections import sampler

ROOT = Path(__file__).resolve().parents[1]


def test_the_widest_dimensions_come_first_and_dead_ones_are_named():
    rng = np.random.default_rng(0)
    codes = np.zeros((500, 6), np.float32)  # z0 and z4: always 0, as a ReLU unit that never fires
    codes[:, 1], codes[:, 2], codes[:, 3], codes[:, 5] = rng.normal(0, 0.5, 500), 0.7, rng.normal(0, 3, 500), rng.normal(0, 1, 500)
    (x, y), dead = sampler.plane_defaults(codes)
    assert (x, y) == (3, 5) and dead == {0: 0.0, 2: pytest.approx(0.7), 4: 0.0}
    assert sampler.dimension_label(0, dead) == "z0 (dead: always 0)" and sampler.dimension_label(3, dead) == "z3"
    assert sampler.size_text(37_400) == "37 KB" and sampler.size_text(430_000) == "0.4 MB"


def test_the_page_opens_on_the_two_most_varied_dimensions_of_a_spatial_relu_code(digits, tmp_path, monkeypatch):
    config = trainer.TrainConfig(epochs=3, batch_size=64, patience=0)
    model = trainer.train("conv", digits, 4, {"code": "spatial"}, config)  # (2, 2, 4): 16 ReLU values
    ModelStore(tmp_path).save(model, "spatial-conv")
    codes = model.encode(digits.x_test[:2000]).reshape(len(digits.x_test[:2000]), -1)
    expected = np.argsort(-codes.std(axis=0, dtype=np.float64), kind="stable")[:2]
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setenv("AECORE_STORE", str(tmp_path))
    app = open_app("latent_sampler")
    assert (app.selectbox(key="sampler_x").value, app.selectbox(key="sampler_y").value) == tuple(int(d) for d in expected)
    dead = np.flatnonzero(codes.max(axis=0) == codes.min(axis=0))
    if len(dead):
        assert any(caption.value.startswith(f"{len(dead)} of 16 dimensions never change") for caption in app.caption)
    assert any(" KB, sent once" in caption.value for caption in app.caption)  # a 16-value conv decoder is small
