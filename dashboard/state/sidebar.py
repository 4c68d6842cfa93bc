"""The shared sidebar: the dataset and model pickers every page opens with, the `Context` they return, and the
empty states and labels pages share. Pages stay short scripts that read widgets, call these, and draw.

A model belongs to the dataset it was trained on, or (imported) scored on (aecore.training.cards.own_dataset):
picking it opens that dataset when it is here, and a model shown on other data says so under the picker, with
its test score on both.
"""

from dataclasses import dataclass

import streamlit as st

from aecore.data import catalog
from aecore.errors import AecoreError
from aecore.training import cards
from dashboard.state import caches, job_runner, picks, roles
from dashboard.text import md

TRAIN_PAGE = "views/train.py"


@dataclass
class Context:
    dataset_name: str
    dataset: catalog.Dataset
    entries: list  # store entries whose input shape fits the dataset
    model_name: str | None
    model: object | None  # aecore.models.autoencoder.Autoencoder
    meta: dict | None
    visitor: roles.Visitor  # who this session is: the owner changes the store, viewers explore

    @property
    def stamp(self) -> str:
        return caches.stamp_of(self.meta or {})

    @property
    def ref(self) -> caches.ModelRef:
        return caches.ModelRef(self.model_name or "", self.stamp, self.dataset_name)

    @property
    def is_series(self) -> bool:
        """The dataset is a time series cut into windows (aecore.data.series), not images."""
        return is_series(self.dataset)

    @property
    def noun(self) -> str:
        """What one item of the dataset is called on the page: "window" on a series, else "image"."""
        return "window" if self.is_series else "image"


def is_series(dataset) -> bool:
    return bool(getattr(dataset, "is_series", False))


def fits(meta: dict, dataset) -> bool:
    """A model fits a dataset when it takes its input shape and is of its kind: a series model (conv1d, lstm_seq)
    on windows of a series, any other on images (an 8x8 image model would take windows of 8 steps of 8 channels)."""
    from aecore.models import families  # here, not at the top: the family table imports Keras, which Home must not

    takes_windows = meta.get("family") in families.series_families()
    return tuple(meta.get("input_shape", ())) == dataset.input_shape and takes_windows == is_series(dataset)


def _available_datasets() -> list[str]:
    return [info.name for info in catalog.list_datasets() if info.available]


def _watch_store(known: tuple, live: bool):
    """Reruns the app when a model lands or leaves, so the sidebar fills in without a manual reload.

    Only where people wait for models (Home, Train): a `run_every` fragment on the explore pages made
    Streamlit drop reruns under load; with 8 sessions and a training, a typed image index then never
    showed (tests/browser/test_3_load.py). Explore pages read the store on each interaction instead.
    """
    @st.fragment(run_every=2 if live else None)
    def watcher():
        if live and tuple(caches.model_store().names()) != known:  # elsewhere `known` is this run's own scan
            st.rerun(scope="app")
        line = job_runner.status_line(caches.job_runner().jobs)  # the same sentence as the Home page's
        if line:
            st.caption(line[1])
    with st.sidebar:
        watcher()


def sidebar(page: str | None = None, watch_store: bool = False) -> Context:
    """The dataset and model pickers. Until the user picks a model, `page` gets the model that shows it
    best (dashboard.state.picks); a model the user picks stays picked on every page. `watch_store` polls for
    models landing (pages that wait for them)."""
    entries, problems = caches.model_store().scan()
    names = _available_datasets()
    state = st.session_state
    # Set from code on every run: on another page the select box is a new widget, which ignores the value the
    # old one left under its key and starts on its first option; `dataset_pick` keeps the choice as well. A page
    # opened by its address has no session yet: `?dataset=` in the address says which; else the default, the same
    # for every fresh visitor (the newest model's dataset made it change with the store, and across restarts).
    state["dataset"] = next(name for name in (state.get("dataset"), st.query_params.get("dataset"),
                                              state.get("dataset_pick"), catalog.default_dataset_name(), names[0])
                            if name in names)
    with st.sidebar:
        dataset_name = state["dataset_pick"] = st.selectbox("Dataset", names, key="dataset",
                                                            help="The images (or the windows of a time series) you "
                                                                 "explore and train on.")
        st.query_params["dataset"] = dataset_name  # kept in the address: a reload or a shared link opens it
        current = caches.dataset(dataset_name)
        fitting = [entry for entry in entries if fits(entry.meta, current)]
        model_name = _model_picker(page, dataset_name, fitting, names) if fitting else None
        note = st.empty()  # filled once the model is loaded: it is shown on data other than its own
        if not fitting:
            # photo models (the shipped ones) serve the Restore page, never a dataset: they are not counted here
            hidden = sum(entry not in fitting and entry.meta.get("family") != "photo" for entry in entries)
            st.info("No model for this dataset yet." + (f" {hidden} model(s) fit other datasets." if hidden else ""))
            st.page_link(TRAIN_PAGE, label="Train one", icon=":material/model_training:")
        if problems:
            with st.expander(f"{len(problems)} store entries skipped"):
                for problem in problems:
                    st.caption(f"**{md(problem.name)}**: {md(problem.reason)}")
    visitor = roles.current()
    with st.sidebar:
        roles.sidebar_panel(visitor)
    _watch_store(tuple(entry.name for entry in entries), watch_store)
    meta = next((entry.meta for entry in fitting if entry.name == model_name), None)
    loaded = None
    if model_name:
        try:
            loaded = caches.model(model_name, caches.stamp_of(meta))
        except AecoreError as error:
            st.sidebar.error(md(error))
    if loaded is not None and not cards.is_own_dataset(meta, dataset_name) and cards.own_dataset(meta):
        with note:
            _other_data_note(caches.ModelRef(model_name, caches.stamp_of(meta), dataset_name), meta, names)
    return Context(dataset_name, current, fitting, model_name if loaded else None, loaded, meta if loaded else None,
                   visitor)


def _psnr(scores: dict | None) -> str:
    value = (scores or {}).get("test_psnr")
    return f"PSNR {value:.1f} dB" if isinstance(value, (int, float)) else "no test score recorded"


@st.cache_data(max_entries=16, show_spinner="Scoring the model on this dataset…")
def scores_elsewhere(ref: caches.ModelRef) -> dict:
    """The model's test scores on a dataset other than its own (one pass over the test set, once per server)."""
    return cards.test_scores(caches.model(ref.name, ref.stamp), caches.dataset(ref.dataset))


def _other_data_note(ref: caches.ModelRef, meta: dict, names: list[str]):
    """One line: the model is shown on data other than its own, with its test score on both."""
    own = cards.own_dataset(meta)
    verb = "scored on" if meta.get("imported") else "trained on"
    away = "" if own in names else " (not on this server)"
    st.caption(f":material/info: {md(ref.name)} was {verb} **{md(own)}**{away}: {_psnr(cards.card_scores(meta))} "
               f"there, {_psnr(scores_elsewhere(ref))} here on **{md(ref.dataset)}**.")


def _model_picker(page: str | None, dataset_name: str, fitting: list, names: list[str]) -> str:
    """The model select box. A pick is kept per dataset in `model_picks`: the box's callback records the
    user's choices; a value that code put under the key (an Explore button, a test) differs from `model_auto`,
    what the page chose itself, and counts as a pick too. Picking a model whose own dataset is another one here
    switches to that dataset (`homes`)."""
    labels = {entry.name: f"{entry.name} · {entry.meta['family']}" for entry in fitting}
    state, user_picks = st.session_state, st.session_state.setdefault("model_picks", {})
    if state.get("model") in labels and state.get("model") != state.get("model_auto"):
        user_picks[dataset_name] = state["model"]
    user_pick = user_picks.get(dataset_name)
    if user_pick in labels:
        state["model"], why = user_pick, None
    else:
        state["model"], why = picks.pick_for_page(page, [{**entry.meta, "name": entry.name} for entry in fitting],
                                                  dataset_name)
        state["model_auto"] = state["model"]
    homes = {entry.name: cards.own_dataset_here(entry.meta, names) for entry in fitting}
    chosen = st.selectbox("Model", list(labels), key="model", format_func=labels.get, on_change=_remember_pick,
                          args=(dataset_name, homes),
                          help="Each page opens on the model that shows it best; a model you pick stays on every page.")
    if why:
        st.caption(f"Picked for this page: {md(why)}.")
    else:
        st.caption("Your pick: it stays on every page.")
        st.button("Let each page pick", on_click=_forget_pick, args=(dataset_name,), key="forget_pick",
                  icon=":material/auto_awesome:")
    return chosen


def _remember_pick(dataset_name: str, homes: dict | None = None):
    """The select box's callback: any choice the user makes is a pick, even the one the page had chosen. A model
    whose own dataset (trained or scored on) is another one here opens there, once a session: the pick is kept for
    that dataset, and the dataset box switches to it (a callback runs before the widgets, so it may set their
    values). Picked again on other data after that, it stays there, with the sidebar's note."""
    state, picked = st.session_state, st.session_state["model"]
    home, taken = (homes or {}).get(picked), state.setdefault("taken_home", set())
    if home and home != dataset_name and picked not in taken:
        taken.add(picked)
        state["dataset"] = state["dataset_pick"] = home
        dataset_name = home
    state.setdefault("model_picks", {})[dataset_name] = picked


def explore(dataset_name: str, model_name: str):
    """An Explore button's callback: runs before the sidebar's widgets exist, so it may set their values."""
    st.session_state["dataset"] = st.session_state["dataset_pick"] = dataset_name
    st.session_state["model"] = model_name


SAMPLER_START = "sampler_start"  # {"stamp", "code", "source"}: a code the Latent sampler starts from


def send_to_sampler(context: Context, code, source: str):
    """A callback (it runs before the script, so it may set the sidebar's widgets): the Latent sampler is to open on
    this model with `code` in its sliders; `follow_to_sampler` in the script then switches page."""
    if code is None:
        return
    explore(context.dataset_name, context.model_name)  # the sampler would otherwise pick a VAE of its own
    st.session_state[SAMPLER_START] = {"stamp": context.stamp, "code": [float(value) for value in code], "source": source,
                                       "go": True}


def follow_to_sampler():
    """Switches to the Latent sampler when `send_to_sampler` asked for it in this run's callback."""
    sent = st.session_state.get(SAMPLER_START)
    if sent and sent.pop("go", False):
        st.switch_page("views/latent_sampler.py")


def take_sampler_start(stamp: str) -> dict | None:
    """The code sent to the sampler for the model of `stamp`, once; None if there is none (or for another model)."""
    sent = st.session_state.pop(SAMPLER_START, None)
    return sent if sent and sent.get("stamp") == stamp else None


def _forget_pick(dataset_name: str):
    st.session_state.get("model_picks", {}).pop(dataset_name, None)
    st.session_state.pop("model_auto", None)
    st.session_state.pop("model", None)


def require_model(context: Context, what: str):
    """The empty state of every explore page: say what is missing and link to the fix, then stop."""
    if context.model is not None:
        return
    st.info(f"{what} needs a trained model for **{md(context.dataset_name)}**. Train one (the quick start takes "
            "under a minute), or pick another dataset in the sidebar.")
    st.page_link(TRAIN_PAGE, label="Go to Train / load", icon=":material/model_training:")
    st.stop()


def class_name(context: Context, label: int) -> str:
    names = context.dataset.class_names
    return names[int(label)] if names else str(int(label))


def label_of(context: Context, index: int, markdown: bool = False) -> str:
    """'#12 Ankle boot': a test image's index and class; `markdown`: the class name escaped (dashboard.text.md).
    On a series, '#12 steps 1,248-1,279' (the test window's steps in the series), ' anomaly' when it holds one."""
    labels = context.dataset.y_test
    if context.is_series:
        start = int(context.dataset.test_starts[index])
        flagged = labels is not None and int(labels[index]) == 1
        return f"#{index} steps {start:,}-{start + context.dataset.window - 1:,}" + (" anomaly" if flagged else "")
    if labels is None:
        return f"#{index}"
    name = class_name(context, labels[index])
    return f"#{index} {md(name) if markdown else name}"


def show_error(error: Exception):
    st.error(md(error) if isinstance(error, AecoreError) else f"Something went wrong: {md(error)}")
