"""The first opens of Anomalies and Restore (#35), from what the training job keeps: every anomaly score of a model
(aecore.store.scorecache), read by the page, dropped when the model changes; the noise slider's sweep
(aecore.store.probecache); and the k-d tree behind the code distance, checked against comparing every pair. Small
models trained on real digits."""

import dataclasses
import fcntl
import json

import numpy as np
import pytest

from aecore.analysis import anomaly, codespace
from aecore.store import modelstore, scorecache
from aecore.training import trainer, worker


@pytest.fixture(scope="module")
def kept(tmp_path_factory, digits):
    """(store root, detector name, VAE name): a dense detector trained without the 3s and a VAE on every class,
    each kept by the worker as after a training (keep_first_opens, keep_anomaly_scores)."""
    root = tmp_path_factory.mktemp("score-cache")
    saved = modelstore.ModelStore(root)
    detector = trainer.train("dense", digits, 8, None,
                             trainer.TrainConfig(epochs=12, batch_size=64, patience=0, exclude_class=3))
    vae = trainer.train("vae", digits, 2, None, trainer.TrainConfig(epochs=6, batch_size=64, patience=0))
    names = saved.save(detector, "no-threes").name, saved.save(vae, "vae-all").name
    for name in names:
        worker.keep_first_opens(name, saved.load(name), digits, root)
        worker.keep_anomaly_scores(name, saved.load(name), digits, root)
    return root, *names


def assert_same(found: dict, expected: dict):
    assert list(found) == list(expected)
    for name, detection in expected.items():
        np.testing.assert_array_equal(found[name].scores, detection.scores, err_msg=name)
        np.testing.assert_array_equal(found[name].rare, detection.rare, err_msg=name)
        assert found[name].threshold == detection.threshold, name


def test_the_worker_keeps_every_score_the_page_shows_as_the_engine_computes_them(kept, digits):
    root, detector, vae = kept
    store = modelstore.ModelStore(root)
    found = scorecache.cached(store, detector, digits, 3)  # the class it was trained without
    assert list(found) == ["reconstruction", "PCA", "code_distance", "mahalanobis"]
    model = store.load(detector)
    engine = anomaly.detect_all(model, digits, 3) | {"PCA": anomaly.detect_with_pca(digits, 3, 8)}
    assert_same(found, {name: engine[name] for name in found})
    found = scorecache.cached(store, vae, digits, 0)  # trained on every class: the page opens on class 0
    assert "negative_elbo" in found
    assert_same(found, anomaly.detect_everything(store.load(vae), digits, 0))


def test_kept_scores_belong_to_their_model_its_version_the_dataset_and_the_class(kept, digits, tmp_path,
                                                                                   monkeypatch):
    root, detector, _ = kept
    store = modelstore.ModelStore(root)
    assert scorecache.cached(store, detector, digits, 5) is None  # only the page's first class is scored ahead
    assert scorecache.cached(store, detector, digits.subset(len(digits.x_train), 200), 3) is None
    assert scorecache.dataset_key(digits) == scorecache._hash(digits, 0)  # remembered for the same arrays
    assert scorecache.dataset_key(digits, seed=1) != scorecache.dataset_key(digits)
    # Deleting the model deletes its scores; an entry whose `created` differs from the file's ignores them.
    other = modelstore.ModelStore(tmp_path)
    model = store.load(detector)
    other.save(model, "again")
    written, write = [], scorecache._write
    monkeypatch.setattr(scorecache, "_write", lambda path, found, *args, **kwargs: (
        written.append((list(found), kwargs.get("complete", True))), write(path, found, *args, **kwargs)))
    scorecache.scores(other, "again", model, digits, 3)
    assert written == [(["reconstruction", "PCA"], False),  # kept first, while the code space computes
                       (["reconstruction", "PCA", "code_distance", "mahalanobis"], True)]
    assert scorecache.cached(other, "again", digits, 3) is not None
    meta_file = tmp_path / "again" / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "created": "2000-01-01T00:00:00+00:00"}))
    assert scorecache.cached(other, "again", digits, 3) is None
    other.delete("again")
    other.save(model, "again")
    assert scorecache.cached(other, "again", digits, 3) is None


def test_a_second_process_waits_for_the_first_and_the_page_can_tell(kept, digits, tmp_path):
    root, detector, _ = kept
    store = modelstore.ModelStore(root)
    assert not scorecache.computing(store, detector, digits, 3)
    lock = scorecache._lock_file(scorecache.score_file(store, detector, digits, 3))
    with open(lock, "a") as handle:  # another open file: flock treats it as another process
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert scorecache.computing(store, detector, digits, 3)
    assert not scorecache.computing(store, detector, digits, 3)


@pytest.mark.parametrize("metric", codespace.METRICS)
def test_the_tree_finds_the_same_distances_as_every_pair(kept, digits, metric):
    model = modelstore.ModelStore(kept[0]).load(kept[1])
    train_codes, test_codes = model.encode(digits.x_train), model.encode(digits.x_test)
    space = codespace.fit(train_codes, metric)
    assert space.tree is not None
    pairs = dataclasses.replace(space, tree=None)
    for codes, skip_self in ((test_codes, False), (train_codes[:200], True)):
        np.testing.assert_allclose(codespace.knn_distance(space, codes, skip_self),
                                   codespace.knn_distance(pairs, codes, skip_self), rtol=1e-9, atol=1e-12)
    # A zero code has no direction: the cosine distance is 1 to everything, so it is compared pair by pair.
    with_zero = np.concatenate([np.zeros((1,) + test_codes.shape[1:], test_codes.dtype), test_codes[:5]])
    np.testing.assert_allclose(codespace.knn_distance(space, with_zero), codespace.knn_distance(pairs, with_zero),
                               rtol=1e-9, atol=1e-12)
    assert (codespace.fit(with_zero, metric, 2).tree is None) == (metric == "cosine")


def test_the_page_draws_the_kept_scores_without_computing_any(kept, digits, open_page, monkeypatch):
    from dashboard.state import anomaly_caches

    root, detector, _ = kept
    store = modelstore.ModelStore(root)
    path = scorecache.score_file(store, detector, digits, 3)
    found = scorecache.cached(store, detector, digits, 3)
    found["code_distance"] = anomaly.Detection(found["code_distance"].rare.astype(float), found["code_distance"].rare,
                                               0.5)  # a perfect score: the page must show AUC 1.000 for it
    scorecache._write(path, found, store.meta(detector), 0.0)

    def computed(*args, **kwargs):
        raise AssertionError("the page computed a score the store holds")
    for name in ("reconstruction_detection", "pca_detection", "code_scoring"):
        monkeypatch.setattr(anomaly_caches, name, computed)
    app = open_page("views/anomaly.py", root, model=detector)
    model, pca = found["reconstruction"].summary(), found["PCA"].summary()
    assert [(metric.label, metric.value) for metric in app.metric] == [
        ("ROC AUC", f"{model['auc']:.3f}"), ("Average precision", f"{model['average_precision']:.3f}"),
        ("ROC AUC", f"{pca['auc']:.3f}"), ("Average precision", f"{pca['average_precision']:.3f}")]
    shown = bars(app)
    assert dict(zip(shown["y"], shown["text"]))["code distance (kNN)"] == "1.000"
    assert len(shown["y"]) == 4  # reconstruction, PCA, code distance, Mahalanobis: all at once
    scorecache._write(path, anomaly.detect_everything(store.load(detector), digits, 3), store.meta(detector), 0.0)


def test_the_page_follows_the_training_job_instead_of_scoring_twice(kept, digits, open_page, monkeypatch):
    from dashboard.state import anomaly_caches

    root, detector, _ = kept
    store = modelstore.ModelStore(root)
    path = scorecache.score_file(store, detector, digits, 3)
    kept_bytes, found = path.read_bytes(), scorecache.cached(store, detector, digits, 3)
    for name in ("reconstruction_detection", "pca_detection", "code_scoring"):
        monkeypatch.setattr(anomaly_caches, name, lambda *args: pytest.fail("scored twice"))
    path.unlink()  # the job has kept nothing yet, and is at it: it holds the lock
    try:
        with open(scorecache._lock_file(path), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            waiting = open_page("views/anomaly.py", root, model=detector)
            part = {name: found[name] for name in ("reconstruction", "PCA")}  # kept first, before the code space
            scorecache._write(path, part, store.meta(detector), 1.0, complete=False)
            assert scorecache.cached(store, detector, digits, 3) is None
            halfway = open_page("views/anomaly.py", root, model=detector)
    finally:
        path.write_bytes(kept_bytes)
    assert not waiting.metric and "the reconstruction error and PCA first" in progress_text(waiting)
    assert [metric.value for metric in halfway.metric][::2] == [f"{part[name].summary()['auc']:.3f}" for name in part]
    assert "the code-space scores now" in progress_text(halfway)
    assert bars(halfway)["y"] == ["reconstruction error", "PCA"]


def test_a_page_before_the_job_scores_into_the_store_for_every_later_open(kept, digits, open_page, monkeypatch):
    """Nothing kept and no job at it (the page opened first): this server scores the model into the store in a thread
    and draws what lands (all of it on a small dataset), never the page's own uncached path; the file is then kept."""
    import streamlit as st

    from dashboard.state import anomaly_caches

    root, detector, _ = kept
    store = modelstore.ModelStore(root)
    path = scorecache.score_file(store, detector, digits, 3)
    kept_bytes = path.read_bytes()
    for name in ("reconstruction_detection", "pca_detection", "code_scoring"):
        monkeypatch.setattr(anomaly_caches, name, lambda *args: pytest.fail("scored outside the store"))
    path.unlink()
    st.cache_resource.clear()
    try:
        app = open_page("views/anomaly.py", root, model=detector)
        assert bars(app)["y"] == ["reconstruction error", "PCA", "code distance (kNN)", "Mahalanobis"]
        again = scorecache.cached(store, detector, digits, 3)
        assert again is not None, "kept for the next open and the job"
        expected = anomaly.detect_everything(store.load(detector), digits, 3)
        np.testing.assert_allclose(again["code_distance"].scores, expected["code_distance"].scores, rtol=1e-6)
    finally:
        path.write_bytes(kept_bytes)


def progress_text(app) -> str:
    return " ".join(element.proto.text for element in app.get("progress"))


def bars(app) -> dict:
    """The AUC bar chart's one trace."""
    return next(json.loads(chart.proto.spec) for chart in app.get("plotly_chart") if json.loads(
        chart.proto.spec)["layout"]["title"]["text"].startswith("ROC AUC"))["data"][0]


def test_the_restore_page_opens_on_the_kept_sweeps_of_the_same_images_as_before(kept, digits, open_page, monkeypatch):
    from aecore.analysis import inspection
    from aecore.store import probecache
    from dashboard.sections import images

    for seed in (0, 1, 7):  # the slider's images: the rule the page had (images.sample_indices), sorted
        assert probecache.slider_indices(len(digits.x_test), seed) == tuple(sorted(images.sample_indices(digits, 6, seed)))
    root, detector, _ = kept
    monkeypatch.setattr(inspection, "denoise_sweep", lambda *args: pytest.fail("the page swept what the job kept"))
    app = open_page("denoise", root, model=detector)
    captions = next(data for data in (json.loads(element.proto.json) for element in app.get("bidi_component")
                                      if element.proto.json) if "captions" in data)["captions"]  # the frame slider's
    kept_sweep = probecache.cached_sweep(modelstore.ModelStore(root), detector,
                                         digits.x_test[list(probecache.slider_indices(len(digits.x_test)))],
                                         "gaussian", probecache.SWEEP_LEVELS, 0)
    assert len(captions) == 21 and f"SSIM {kept_sweep.ssim_noisy[10]:.2f} → {kept_sweep.ssim_denoised[10]:.2f}" in \
        captions[10]


def test_the_worker_scores_first_the_model_the_anomalies_page_opens_on():
    from dashboard.state import picks

    metas = [{"name": "dense", "family": "dense", "metrics": {"test_psnr": 17.7}},
             {"name": "conv", "family": "conv", "metrics": {"test_psnr": 18.6}},
             {"name": "unscored", "family": "dense"}]
    ordered = [outcome["meta"]["name"] for outcome in sorted(({"meta": meta} for meta in metas), key=worker.anomaly_order)]
    assert ordered[0] == picks.pick_for_page("anomaly", metas)[0] == "conv" and ordered[-1] == "unscored"
    metas.append({"name": "no-threes", "family": "dense", "excluded_class": 3, "metrics": {"test_psnr": 9.0}})
    ordered = [outcome["meta"]["name"] for outcome in sorted(({"meta": meta} for meta in metas), key=worker.anomaly_order)]
    assert ordered[0] == picks.pick_for_page("anomaly", metas)[0] == "no-threes"


def test_the_worker_keeps_first_the_curves_of_the_model_the_restore_page_opens_on():
    from dashboard.state import picks

    metas = [{"name": "quick-dense-32", "family": "dense", "metrics": {"test_psnr": 17.7}},  # as the quick start lands
             {"name": "quick-conv-32", "family": "conv", "metrics": {"test_psnr": 18.6}},
             {"name": "quick-vae-2", "family": "vae", "metrics": {"test_psnr": 15.2}},
             {"name": "quick-denoising-32", "family": "denoising", "metrics": {"test_psnr": 18.1}}]
    ordered = [outcome["meta"]["name"] for outcome in sorted(({"meta": meta} for meta in metas), key=worker.restore_order)]
    assert ordered[0] == picks.pick_for_page("denoise", metas)[0] == "quick-denoising-32"
    assert ordered[1:] == ["quick-conv-32", "quick-dense-32", "quick-vae-2"]  # then the best test score
    without = metas[:3]
    assert sorted(({"meta": meta} for meta in without), key=worker.restore_order)[0]["meta"]["name"] == \
        picks.pick_for_page("denoise", without)[0] == "quick-conv-32"


def test_after_the_queue_the_restore_pages_curves_come_before_the_baselines(monkeypatch):
    steps = []
    for step in ("fill_baselines", "keep_first_opens", "keep_anomaly_scores"):
        monkeypatch.setattr(worker, step, lambda *arguments, step=step: steps.append((step, arguments[0])))
    monkeypatch.setattr(worker, "premap", lambda name, dataset_name: steps.append(("premap", name)))
    landed = [{"model_name": meta["name"], "model": None, "dataset": meta["name"], "dataset_name": "fashion_mnist",
               "meta": meta} for meta in [  # in the quick start's landing order: the denoiser last
        {"name": "quick-dense-32", "family": "dense", "metrics": {"test_psnr": 17.7}},
        {"name": "quick-conv-32", "family": "conv", "metrics": {"test_psnr": 18.6}},
        {"name": "quick-denoising-32", "family": "denoising", "metrics": {"test_psnr": 18.1}}]]
    worker.after_queue(landed)
    assert [step for step, _ in steps[:2]] == ["keep_first_opens", "fill_baselines"]
    assert steps[0][1] == "quick-denoising-32"
    assert [name for step, name in steps if step == "keep_first_opens"] == [
        "quick-denoising-32", "quick-conv-32", "quick-dense-32"]
    assert [name for step, name in steps if step == "keep_anomaly_scores"][0] == "quick-conv-32"
    assert [step for step, _ in steps[-3:]] == ["premap"] * 3
