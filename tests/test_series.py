"""Time series as datasets (issue #38), on the labelled series in aeon's wheel (KDD-TSAD 135, UCR's InternalBleeding16,
and Daphnet S06R02E0's nine channels): windows that never mix the training and test parts, labels kept out of the
values, each column scaled by the training part, clear errors for bad CSVs, both sequence families trained, saved
and loaded, and the CLI from `datasets add` to `anomaly --scores-out`."""

import csv
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from aecore.analysis import serieseval
from aecore.data import owndata, series
from aecore.errors import DatasetError, ModelError, TrainingError
from aecore.models import families
from aecore.store.modelstore import ModelStore
from aecore.training import trainer

KDD_EVENT = (4187, 4198)  # the one labelled event of KDD-TSAD 135 (steps, inclusive), from the CSV's is_anomaly


@pytest.fixture(scope="module")
def bundled():
    found = series.bundled_series()
    if "kdd-tsad-135" not in found:
        pytest.skip("aeon's wheel is not installed: pip install aeon (its bundled series are read as files)")
    return found


@pytest.fixture(scope="module")
def kdd(bundled, tmp_path_factory):
    """KDD-TSAD 135 as one of the store's datasets: 1,200 training steps (its TRAIN file), windows of 32 every 4."""
    store = tmp_path_factory.mktemp("series-store")
    path, train_steps = bundled["kdd-tsad-135"]
    owndata.add("kdd", path, series.SeriesOptions(window=32, stride=4, train_steps=train_steps), store)
    return owndata.load("kdd", store)


def raw_columns(path) -> tuple[list[str], np.ndarray]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], np.array(rows[1:], dtype=object)


def test_windows_never_mix_the_training_and_test_parts(kdd):
    assert kdd.input_shape == (32, 1, 1) and kdd.columns == ["value"]  # is_anomaly is a label, not a channel
    assert np.all(kdd.train_starts + kdd.window <= kdd.train_steps) and np.all(kdd.test_starts >= kdd.train_steps)
    assert kdd.train_starts[-1] == kdd.train_steps - 32 and kdd.test_starts[-1] == len(kdd.values) - 32  # ends covered
    assert np.all(np.diff(kdd.train_starts)[:-1] == 4)
    np.testing.assert_array_equal(kdd.x_test[5, :, 0, 0], kdd.values[kdd.test_starts[5]:kdd.test_starts[5] + 32, 0])
    covered = np.zeros(len(kdd.values), bool)
    for start in kdd.test_starts:
        covered[start:start + 32] = True
    assert covered[kdd.train_steps:].all() and not covered[:kdd.train_steps].any()


def test_each_column_is_scaled_by_the_training_part_alone(kdd, bundled):
    header, rows = raw_columns(bundled["kdd-tsad-135"][0])
    raw = rows[:, header.index("value")].astype(float)
    low, high = raw[:1200].min(), raw[:1200].max()
    np.testing.assert_allclose(kdd.values[:, 0], (raw - low) / (high - low), rtol=1e-5, atol=1e-6)
    assert kdd.x_train.min() == pytest.approx(0) and kdd.x_train.max() == pytest.approx(1)
    assert kdd.values[1200:].max() > 1  # the test part is not rescaled to fit


def test_labels_are_kept_per_step_and_per_window(kdd, bundled):
    header, rows = raw_columns(bundled["kdd-tsad-135"][0])
    np.testing.assert_array_equal(kdd.step_labels, rows[:, header.index("is_anomaly")].astype(int))
    assert series.step_events(kdd.step_labels) == [KDD_EVENT]
    overlaps = (kdd.test_starts <= KDD_EVENT[1]) & (kdd.test_starts + 32 > KDD_EVENT[0])
    np.testing.assert_array_equal(kdd.y_test, overlaps.astype(int))
    assert kdd.y_train.sum() == 0 and kdd.class_names == ["normal", "anomaly"]


def test_columns_pick_channels_and_the_card_describes_the_series(bundled, tmp_path):
    path, _ = bundled["daphnet-s06r02e0"]
    card = owndata.add("gait", path, series.SeriesOptions(window=16, stride=8, columns=("ankle_vert", "trunk_vert")),
                       tmp_path)
    gait = owndata.load("gait", tmp_path)
    assert gait.input_shape == (16, 2, 1) and gait.columns == ["ankle_vert", "trunk_vert"]
    assert card["steps"] == 7040 and card["train_steps"] == 3520 and card["time_column"] == "timestamp"
    assert gait.timestamps[0] == "1970-01-01 00:04:40.000"
    assert owndata.describe(card).startswith("7,040 steps of 2 columns (ankle_vert, trunk_vert), windows of 16")
    assert owndata.is_series("gait", tmp_path) and not owndata.is_series("digits", tmp_path)


def write(tmp_path, text: str, name="series.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def steady(rows: int, extra: str = "") -> str:
    return "timestamp,value,is_anomaly\n" + "".join(f"{step},{np.sin(step / 5):.4f},0\n" for step in range(rows)) + extra


@pytest.mark.parametrize("text, options, message", [
    (steady(100, "100,oops,0\n"), {}, r"line 102, column 'value': 'oops' is not a number"),
    (steady(100, "100,1.0,2\n"), {}, r"line 102, label column 'is_anomaly': '2' is not 0 or 1"),
    (steady(100, "100,1.0\n"), {}, r"line 102: 2 cells, but the header has 3 columns"),
    (steady(100), {"columns": ("pressure",)}, r"has no value column 'pressure'; its value columns are value"),
    (steady(100), {"columns": ("is_anomaly",)}, r"has no value column 'is_anomaly'"),
    (steady(100), {"window": 64}, r"too few for windows of 64 every 1: training needs at least 71 steps"),
    (steady(100), {"train_steps": 100}, r"train_steps 100 leaves no test steps of its 100"),
    ("timestamp,is_anomaly\n0,0\n1,0\n2,1\n", {}, r"has no value column \(only timestamp, is_anomaly\)"),
    ("", {}, r"is empty; give a header row"),
])
def test_bad_csvs_are_refused_with_the_fix(tmp_path, text, options, message):
    with pytest.raises(DatasetError, match=message):
        owndata.add("bad", write(tmp_path, text), series.SeriesOptions(**{"window": 8, **options}), tmp_path / "s")
    assert owndata.names(tmp_path / "s") == []  # nothing half-made is left


def test_bad_options_and_a_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="window 2 must be a whole number >= 4"):
        series.SeriesOptions(window=2)
    with pytest.raises(DatasetError, match="stride 0 must be a whole number >= 1"):
        series.SeriesOptions(stride=0)
    with pytest.raises(DatasetError, match="No such file: .*missing.csv"):
        owndata.add("gone", tmp_path / "missing.csv", series.SeriesOptions(), tmp_path / "s")


def test_rows_are_the_time_axis_without_a_time_column(tmp_path):
    path = write(tmp_path, "a,b\n" + "".join(f"{step},{step * 2}\n" for step in range(40)))
    owndata.add("plain", path, series.SeriesOptions(window=4), tmp_path / "s")
    plain = owndata.load("plain", tmp_path / "s")
    assert plain.columns == ["a", "b"] and plain.timestamps[3] == "3" and plain.step_labels is None
    assert plain.y_train is None and plain.class_names is None


@pytest.mark.parametrize("family", families.series_families())
def test_each_sequence_family_trains_saves_and_loads(kdd, family, tmp_path):
    small = kdd.subset(train=160, test=64)
    config = trainer.TrainConfig(epochs=2, batch_size=32, patience=0, snapshots="off")
    model = trainer.train(family, small, 8, None, config)
    history = model.meta["history"]["loss"]
    assert model.is_series and len(history) == 2 and history[1] < history[0]
    assert model.encode(small.x_test).shape == (64, 8) and model.reconstruct(small.x_test).shape == small.x_test.shape
    store = ModelStore(tmp_path / "models")
    store.save(model, "seq")
    loaded = store.load("seq")
    np.testing.assert_allclose(loaded.reconstruct(small.x_test), model.reconstruct(small.x_test), atol=1e-5)
    output_layer = model.decoder.get_layer("decoder_values")  # linear: shifted up, every value leaves [0, 1]
    kernel, bias = output_layer.get_weights()
    output_layer.set_weights([kernel, bias + 5.0])
    unclipped = keras.ops.convert_to_numpy(model.model(small.x_test[:4], training=False))
    assert unclipped.min() > 1  # a series' values are not pixels: never clipped to [0, 1]
    np.testing.assert_allclose(model.reconstruct(small.x_test[:4]), unclipped, atol=1e-5)
    with pytest.raises(ModelError, match=r"a sequence family takes windows of a series shaped"):
        families.build(family, (28, 28, 3), 8)


def test_a_series_trains_sequence_families_only(kdd, digits):
    with pytest.raises(TrainingError, match=r"'kdd' is a time series: train one of the sequence families "
                                            r"\(lstm_seq, conv1d\) on it, e.g. --family conv1d"):
        trainer.train("conv", kdd, 8, None, trainer.TrainConfig(epochs=1))
    with pytest.raises(TrainingError, match=r"family 'conv1d' takes windows of a time series, and 'digits' holds"):
        trainer.train("conv1d", digits, 8, None, trainer.TrainConfig(epochs=1))


def test_step_scores_spread_each_windows_errors_over_the_steps_it_covers():
    starts, window_scores = np.array([0, 1, 2]), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    by_hand = [1.0, (2 + 4) / 2, (3 + 5 + 7) / 3, (6 + 8) / 2, 9.0]
    np.testing.assert_allclose(serieseval.spread(window_scores, starts, 5), by_hand)
    labels = np.array([0, 1, 1, 0, 0, 0, 1, 0, 0, 0])
    flagged = np.array([0, 0, 1, 0, 1, 0, 0, 0, 0, 0], bool)  # finds the first event, misses the second
    found = serieseval.event_scores(labels, flagged)
    assert found["events"] == 2 and found["events_found"] == 1 and found["event_recall"] == 0.5
    assert found["flagged_runs"] == 2 and found["event_precision"] == 0.5


def run_cli(*arguments) -> dict:
    run = subprocess.run([sys.executable, "-m", "aecore", *map(str, arguments)], check=False, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-1500:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_cli_end_to_end_on_a_labelled_series(bundled, tmp_path):
    store, scores_file = tmp_path / "models", tmp_path / "scores.csv"
    path, train_steps = bundled["kdd-tsad-135"]
    card = run_cli("datasets", "--store", store, "add", "kdd", path, "--window", 32, "--stride", 4,
                   "--train-steps", train_steps)
    assert card["kind"] == "series" and card["counts"]["train"] == 293 and card["events"] == 1
    trained = run_cli("train", "--dataset", "kdd", "--store", store, "--epochs", 2, "--quiet", "--snapshots", "off")
    assert trained["family"] == families.SERIES_FAMILY and trained["epochs_run"] == 2
    report = run_cli("anomaly", trained["name"], "--store", store, "--scores-out", scores_file)
    with open(scores_file, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == report["steps"] == 7501 and list(rows[0]) == ["timestamp", "score", "is_anomaly", "split"]
    test_rows = [row for row in rows if row["split"] == "test"]
    labels, scores = [int(row["is_anomaly"]) for row in test_rows], [float(row["score"]) for row in test_rows]
    assert report["auc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-4)
    assert report["events"] == 1 and report["event_recall"] in (0.0, 1.0) and len(test_rows) == 7501 - 1200
    flagged_in_event = any(float(row["score"]) > report["threshold"] for row in rows[KDD_EVENT[0]:KDD_EVENT[1] + 1])
    assert report["event_recall"] == float(flagged_in_event)
    assert {"auc", "threshold", "event_precision", "event_recall"} <= set(report["code_distance"])  # windows' codes
