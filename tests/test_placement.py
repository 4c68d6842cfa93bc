"""New codes placed on a map of a dataset's codes, the map's spots decoded back, and `python -m aecore place`:
on real digits with a small trained conv model, test images placed on the training split's map."""

import json

import numpy as np
import pytest

from aecore.analysis import placement, projections
from aecore.errors import ModelError


@pytest.fixture(scope="module")
def model(digits):
    from aecore.training import trainer

    return trainer.train("conv", digits, 8, None, trainer.TrainConfig(epochs=8, batch_size=64, patience=0))


@pytest.fixture(scope="module")
def codes(model, digits):
    """(training codes (1347, 8), test codes (450, 8))."""
    return (projections.flatten(model.encode(digits.x_train)), projections.flatten(model.encode(digits.x_test)))


@pytest.fixture(scope="module")
def maps(codes):
    return {method: projections.project(codes[0], method).points for method in projections.METHODS}


def right_cluster(points, map_points, map_labels, labels) -> float:
    """The share of placed points whose 10 nearest map points' majority class is their own."""
    indices, _ = placement._ExactIndex(map_points).query(points, 10)
    majority = np.array([np.bincount(map_labels[row], minlength=10).argmax() for row in indices])
    return float(np.mean(majority == labels))


def test_pca_placement_is_the_map_job_s_own_pca(codes, maps):
    train, test = codes
    placer = placement.Placer(train, maps["pca"], "pca")
    scale = np.abs(maps["pca"]).max()
    np.testing.assert_allclose(placer.place(train), maps["pca"], atol=1e-5 * scale)  # the training codes land home
    spec = json.loads(json.dumps(placer.browser_spec()))  # what the page gets: point = (code - mean) @ components.T
    mean, components = np.array(spec["mean"]), np.array(spec["components"])
    assert spec["method"] == "pca" and components.shape == (2, 8)
    np.testing.assert_allclose((test - mean) @ components.T, placer.place(test), rtol=1e-5, atol=1e-5)
    spots = placer.place(test)
    np.testing.assert_allclose(placer.place(placer.inverse(spots)), spots, atol=1e-4 * scale)  # inverse is exact
    np.testing.assert_allclose(placer.inverse(spots) - mean, (test - mean) @ components.T @ components, atol=1e-4)


@pytest.mark.parametrize("method, bar", [("umap", 0.85), ("tsne", 0.8)])
def test_test_images_land_in_their_class_s_cluster_both_ways(codes, maps, digits, method, bar):
    train, test = codes
    placer = placement.Placer(train, maps[method], method)
    nearby, refined = placer.place(test), placer.place(test, refine=True)
    for placed in (nearby, refined):
        assert placed.shape == (len(test), 2) and np.isfinite(placed).all()
        assert right_cluster(placed, maps[method], digits.y_train, digits.y_test) >= bar
    extent = np.ptp(maps[method], axis=0).max()
    assert np.median(np.linalg.norm(nearby - refined, axis=1)) < 0.1 * extent  # the refinement moves, not jumps


def test_nearby_placement_is_the_formula_the_browser_runs(codes, maps):
    train, test = codes
    placer = placement.Placer(train, maps["umap"], "umap")
    distances = np.linalg.norm(train - test[0], axis=1)
    nearest = np.argsort(distances)[: placement.NEIGHBOURS]
    weights = 1 / (distances[nearest] + placement.WEIGHT_EPSILON)
    expected = (weights[:, None] * maps["umap"][nearest]).sum(axis=0) / weights.sum()
    np.testing.assert_allclose(placer.place(test[:1])[0], expected, rtol=1e-4)
    assert placer.browser_spec() == {"method": "umap", "neighbours": 10, "weight_epsilon": 1e-6}
    indices, found = placer.neighbours(test[:1])
    np.testing.assert_array_equal(indices[0], nearest)
    np.testing.assert_allclose(found[0], distances[nearest], rtol=1e-4)


def test_a_training_code_placed_nearby_lands_on_its_own_point(codes, maps):
    train, _ = codes
    placer = placement.Placer(train, maps["tsne"], "tsne")
    np.testing.assert_allclose(placer.place(train[:20]), maps["tsne"][:20], atol=1e-3)  # weight 1e6 on itself


def test_a_spot_decodes_to_a_code_like_its_neighbours(codes, maps, digits, model):
    train, _ = codes
    spots = maps["umap"][:30] + 0.05  # beside 30 training images' points
    placer = placement.Placer(train, maps["umap"], "umap")
    spread = np.linalg.norm(train - train.mean(axis=0), axis=1).mean()
    for how in placement.INVERSES:
        found = placer.inverse(spots, how=how)
        assert found.shape == (30, 8)
        assert np.median(np.linalg.norm(found - train[:30], axis=1)) < 0.75 * spread, how
        nearest = placer.neighbours(found, count=10)[0]  # the decoded code's nearest codes are the spot's class
        assert np.mean([np.bincount(digits.y_train[row]).argmax() for row in nearest] == digits.y_train[:30]) >= 0.7
    pictures = model.decode(placer.inverse(spots).reshape(-1, 8))
    assert pictures.shape == (30, 8, 8, 1) and 0 <= pictures.min() and pictures.max() <= 1


def test_bad_input_is_refused_with_the_fix(codes, maps):
    train, _ = codes
    with pytest.raises(ModelError, match="unknown projection 'isomap'; choose one of: pca, umap, tsne"):
        placement.Placer(train, maps["pca"], "isomap")
    placer = placement.Placer(train, maps["pca"], "pca")
    with pytest.raises(ModelError, match=r"the map's codes have 8 values each; got codes of shape \(4,\): encode"):
        placer.place(np.zeros((2, 4)))
    with pytest.raises(ModelError, match="umap-learn's inverse_transform needs a UMAP map; this map is pca"):
        placer.inverse([[0, 0]], how="umap")
    with pytest.raises(ModelError, match="at least 3; got 5 codes and 4 points"):
        placement.Placer(train[:5], maps["pca"][:4], "pca")


# ---------------------------------------------------------------- python -m aecore place


def test_place_prints_one_line_per_image_and_the_denoise_page_s_errors(model, codes, maps, digits, store, tmp_path,
                                                                       capsys):
    from aecore.cli.main import main
    from aecore.data import images

    name = store.save(model, "placed").name
    paths = []
    for index in range(12):
        paths.append(tmp_path / f"test{index}.png")
        paths[-1].write_bytes(images.to_png_bytes(digits.x_test[index]))
    (tmp_path / "notes.png").write_text("not an image")
    options = ["--store", str(store.root), "--dataset", "digits", "--method", "umap", "--split", "train",
               "--out", str(tmp_path / "placed.csv"), "--quiet"]
    assert main(["place", name, *map(str, paths), *options]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["image"] for line in lines] == list(map(str, paths))
    assert all(len(line["neighbours"]) == 10 and len(line["neighbour_labels"]) == 10 for line in lines)
    # The same as placing by hand the codes of the images converted as the Denoise page converts uploads.
    converted = np.stack([images.load_image_file(path, (8, 8, 1)).array for path in paths])
    placer = placement.Placer(codes[0], maps["umap"], "umap")
    expected, nearest = placer.place(model.encode(converted), refine=True), placer.neighbours(model.encode(converted))[0]
    np.testing.assert_allclose([[line["x"], line["y"]] for line in lines], expected, atol=1e-3 * np.ptp(maps["umap"]))
    assert [line["neighbours"] for line in lines] == nearest.tolist()
    assert [line["neighbour_labels"] for line in lines] == digits.y_train[nearest].tolist()
    assert (tmp_path / "placed.csv").read_text().splitlines()[0] == "image,x,y,neighbours,neighbour_labels,error"
    # The map is cached now: placing again gives the same points (transform is seeded; with the same companions,
    # as umap-learn's transform samples its negative edges across the whole batch).
    assert main(["place", name, *map(str, paths), *options]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == lines
    assert main(["place", name, str(paths[0]), str(tmp_path / "notes.png"), "--store", str(store.root),
                 "--dataset", "digits", "--split", "train", "--quiet"]) == 2
    captured = capsys.readouterr()
    bad = json.loads(captured.out.splitlines()[1])
    assert bad["error"] == "notes.png is not a PNG, JPEG, BMP, GIF or WebP image. Save it as PNG and try again."
    assert "1 of 2 images could not be placed" in captured.err
