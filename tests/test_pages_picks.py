"""Which model each page opens on (issue #10): the one that shows the page best until the user picks one,
and a picked model stays picked on every page.

The rules are checked on metadata (dashboard.state.picks), then on the real app (AppTest) with a store that
holds what the quick start leaves: conv, VAE, denoising and dense models trained briefly on digits.
"""

import math

import pytest

from dashboard.state import picks


def meta(name, family, psnr=None, **options):
    return {"name": name, "family": family, "options": options,
            "metrics": {} if psnr is None else {"test_psnr": psnr, "test_bce": 0.3}}


QUICK_START_METAS = [  # newest first, as the store lists them; dense landed last and scores worst
    meta("quick-dense-32", "dense", 15.9),
    meta("quick-denoising-32", "denoising", 17.5),
    meta("quick-vae-2", "vae", 14.0),
    meta("quick-conv-32", "conv", 19.0),
]


@pytest.mark.parametrize("page, expected, why", [
    ("feature_maps", "quick-conv-32", "convolutional"),
    ("latent_sampler", "quick-vae-2", "VAE"),
    ("denoise", "quick-denoising-32", "denoising"),
    ("reconstructions", "quick-conv-32", "best test score, PSNR 19.0 dB"),
    ("latent_map", "quick-conv-32", "best test score"),
    ("home", "quick-conv-32", "best test score"),
])
def test_each_page_prefers_the_model_that_shows_it_best(page, expected, why):
    name, reason = picks.pick_for_page(page, QUICK_START_METAS)
    assert name == expected
    assert why in reason


def test_a_missing_kind_falls_back_to_the_best_score_and_says_so():
    metas = [meta("d", "dense", 15.0), meta("s", "sparse", 16.5)]
    name, reason = picks.pick_for_page("latent_sampler", metas)
    assert name == "s"
    assert "no vae or conv vae model" in reason


def test_feature_maps_takes_a_conv_vae_when_it_is_the_only_conv_model():
    metas = [meta("dense", "dense", 20.0), meta("v", "vae", 12.0, variant="conv"), meta("v2", "vae", 13.0)]
    assert picks.pick_for_page("feature_maps", metas)[0] == "v"
    assert picks.pick_for_page("latent_sampler", metas)[0] == "v2"  # among VAEs the better score


def test_models_without_metrics_rank_last_and_ties_go_to_the_newest():
    metas = [meta("imported", "dense"), meta("new", "conv", 18.0), meta("old", "conv", 18.0)]
    assert picks.test_score(metas[0]) == -math.inf
    assert picks.pick_for_page("reconstructions", metas)[0] == "new"
    assert picks.pick_for_page("denoise", []) == (None, "")


def test_the_warm_up_loads_first_the_models_the_explore_pages_open_on():
    older = [meta(f"old-dense-{number}", "dense", 10.0 + number) for number in range(4)]
    metas = [meta("import", "dense")] + QUICK_START_METAS + older  # newest first
    assert picks.warm_order(metas, None, 4) == ["quick-conv-32", "quick-vae-2", "quick-denoising-32", "import"]
    assert picks.warm_order(metas, None, 3) == ["quick-conv-32", "quick-vae-2", "quick-denoising-32"]
    detector = meta("no-threes", "conv", 12.0)
    detector["excluded_class"] = 3
    assert picks.warm_order([detector] + older, None, 2) == ["old-dense-3", "no-threes"]  # Anomalies opens on it
    assert picks.warm_order([], "digits", 4) == []


# ---------------------------------------------------------------- the real app


@pytest.fixture(scope="module")
def quick_store(tmp_path_factory, digits):
    """Four real models, trained for a moment on digits, saved newest-last like the quick start."""
    from aecore.store import modelstore
    from aecore.training import trainer

    root = tmp_path_factory.mktemp("picks-store")
    saved = modelstore.ModelStore(root)
    for family, latent, options in [("conv", 8, None), ("vae", 2, None), ("denoising", 8, None), ("dense", 16, None)]:
        config = trainer.TrainConfig(epochs=2, batch_size=64, patience=0)
        saved.save(trainer.train(family, digits, latent, options, config), f"quick-{family}")
    return root


@pytest.fixture
def app(quick_store, open_page):
    """The app on the quick start's store, opened on Home as a visitor lands (conftest's open_page)."""
    return open_page("home", quick_store)


def sidebar_model(app) -> tuple[str, str]:
    """(the model in the sidebar's select box, the sidebar's captions joined)."""
    box = next(select for select in app.sidebar.selectbox if select.label == "Model")
    return box.value, " ".join(caption.value for caption in app.sidebar.caption)


def test_each_explore_page_opens_on_its_own_model_until_the_user_picks(app, quick_store):
    from aecore.store import modelstore

    best = max(modelstore.ModelStore(quick_store).entries(), key=lambda entry: entry.meta["metrics"]["test_psnr"]).name
    for page, expected, why in [("views/feature_maps.py", "quick-conv", "convolutional"),
                                ("views/latent_sampler.py", "quick-vae", "the VAE"),
                                ("views/denoise.py", "quick-denoising", "denoising"),
                                ("views/reconstructions.py", best, "best test score"),
                                ("views/latent_map.py", best, "best test score")]:
        app.switch_page(page).run()
        assert not app.exception, [item.value for item in app.exception]
        chosen, captions = sidebar_model(app)
        assert chosen == expected, page
        assert "Picked for this page:" in captions and why in captions, captions


def test_a_model_the_user_picks_stays_picked_on_every_page(app):
    app.switch_page("views/feature_maps.py").run()
    assert sidebar_model(app)[0] == "quick-conv"
    next(select for select in app.sidebar.selectbox if select.label == "Model").set_value("quick-dense").run()
    for page in ("views/latent_sampler.py", "views/denoise.py", "views/reconstructions.py", "views/home.py"):
        app.switch_page(page).run()
        assert not app.exception, [item.value for item in app.exception]
        chosen, captions = sidebar_model(app)
        assert chosen == "quick-dense", page
        assert "Your pick: it stays on every page" in captions
    next(button for button in app.sidebar.button if button.label == "Let each page pick").click().run()
    app.switch_page("views/latent_sampler.py").run()
    assert sidebar_model(app)[0] == "quick-vae"


def test_picking_the_model_the_page_chose_itself_is_a_pick_too(app):
    app.switch_page("views/feature_maps.py").run()
    def box():
        return next(select for select in app.sidebar.selectbox if select.label == "Model")
    box().set_value("quick-dense").run()
    box().set_value("quick-conv").run()  # what this page had picked for itself
    chosen, captions = sidebar_model(app)
    assert chosen == "quick-conv" and captions.startswith("Your pick: it stays on every page.")  # then the role line
    app.switch_page("views/latent_sampler.py").run()
    assert sidebar_model(app)[0] == "quick-conv"


def test_the_dataset_picked_stays_picked_on_every_page(quick_store, open_page):
    from aecore.data import catalog

    available = [info.name for info in catalog.list_datasets() if info.available]
    other = next((name for name in available if name != "digits"), None)
    if other is None:
        pytest.skip("only digits is available here")
    app = open_page("home", quick_store, dataset=None)  # no dataset preset in its state
    next(select for select in app.sidebar.selectbox if select.label == "Dataset").set_value(other).run()
    for page in ("views/latent_map.py", "views/reconstructions.py", "views/train.py"):
        app.switch_page(page).run()
        assert not app.exception, [item.value for item in app.exception]
        assert next(select for select in app.sidebar.selectbox if select.label == "Dataset").value == other, page


def test_a_detector_is_never_picked_as_a_general_best():
    detector = {**meta("conv-digits-32-without-5", "conv", 25.0), "excluded_class": 5}  # scores best of all
    metas = [detector, *QUICK_START_METAS]
    for page, expected in (("reconstructions", "quick-conv-32"), ("latent_map", "quick-conv-32"),
                           ("home", "quick-conv-32"), ("feature_maps", "quick-conv-32"),
                           ("timeline", "quick-conv-32"), ("anomaly", "conv-digits-32-without-5")):
        assert picks.pick_for_page(page, metas)[0] == expected, page
    assert picks.pick_for_page("reconstructions", [detector])[0] == detector["name"]  # the only model is shown


def test_the_dataset_survives_an_address_and_a_fresh_visitor_lands_on_the_default(quick_store, open_page):
    from aecore.data import catalog

    default = catalog.default_dataset_name()

    def visit(page, **query):
        app = open_page(page, quick_store, dataset=None, query=query)  # a fresh session: nothing in its state
        return app, next(select for select in app.sidebar.selectbox if select.label == "Dataset")

    for page in ("views/home.py", "views/reconstructions.py"):  # the store's models are all digits models
        app, box = visit(page)
        assert box.value == default, "every fresh visitor lands on the default, whatever the store holds"
        assert app.query_params["dataset"] == default
    app, box = visit("views/latent_map.py", dataset="digits")  # opened by its address
    assert box.value == "digits" and app.query_params["dataset"] == "digits"
    other = next((info.name for info in catalog.list_datasets() if info.available and info.name != "digits"), None)
    if other:
        box.set_value(other).run()
        assert app.query_params["dataset"] == other  # the address follows the choice
        assert visit("views/latent_map.py", dataset="not-a-dataset")[1].value == default


def test_feature_maps_prefers_the_conv1d_model_of_a_series():
    from dashboard.state import picks

    metas = [{"name": "lstm", "family": "lstm_seq", "metrics": {"test_psnr": 30.0}},
             {"name": "conv1d", "family": "conv1d", "metrics": {"test_psnr": 20.0}}]
    name, why = picks.pick_for_page("feature_maps", metas)
    assert name == "conv1d" and why == picks.PREFERENCES["feature_maps"].why  # its channels over time, not the best score


def test_the_servers_warm_up_loads_and_traces_the_pages_models(quick_store, monkeypatch):
    from dashboard.state import caches, warmup

    monkeypatch.setenv("AECORE_STORE", str(quick_store))
    monkeypatch.setenv("AECORE_WARM", "1")
    caches.model.clear()
    assert warmup.warm_up("digits")  # a thread of its own, holding the lock until it is done
    assert warmup._warming.acquire(timeout=120)
    warmup._warming.release()
    metas = [{**entry.meta, "name": entry.name} for entry in caches.model_store().entries()]
    for name in picks.warm_order(metas, "digits", warmup.WARM_MODELS):
        loaded = caches.model(name, caches.stamp_of(caches.model_store().meta(name)))  # the warm-up's, from the cache
        assert set(loaded.__dict__.get("_compiled", {})) == {"encoder", "decoder", "model"}, name
