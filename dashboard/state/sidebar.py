"""The shared sidebar: the dataset and model pickers every page opens with, the `Context` they return, and the
empty states and labels pages share. Pages stay short scripts that read widgets, call these, and draw.
"""

from dataclasses import dataclass

import streamlit as st

from aecore.data import catalog
from aecore.errors import AecoreError
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
    # old one left under its key and starts on its first option; `dataset_pick` keeps the choice as well.
    newest = entries[0].meta.get("dataset") if entries else None
    default = newest if newest in names else catalog.default_dataset_name()
    state["dataset"] = next(name for name in (state.get("dataset"), state.get("dataset_pick"), default, names[0])
                            if name in names)
    with st.sidebar:
        dataset_name = state["dataset_pick"] = st.selectbox("Dataset", names, key="dataset",
                                                            help="The images you explore and train on.")
        current = caches.dataset(dataset_name)
        fitting = [entry for entry in entries if tuple(entry.meta.get("input_shape", ())) == current.input_shape]
        model_name = _model_picker(page, dataset_name, fitting) if fitting else None
        if not fitting:
            hidden = len(entries) - len(fitting)
            st.info("No model for this dataset yet." + (f" {hidden} caches.model(s) fit other datasets." if hidden else ""))
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
    return Context(dataset_name, current, fitting, model_name if loaded else None, loaded, meta if loaded else None, visitor)


def _model_picker(page: str | None, dataset_name: str, fitting: list) -> str:
    """The model select box. A pick is kept per dataset in `model_picks`: the box's callback records the
    user's choices; a value that code put under the key (an Explore button, a test) differs from `model_auto`,
    what the page chose itself, and counts as a pick too."""
    labels = {entry.name: f"{entry.name} · {entry.meta['family']}" for entry in fitting}
    state, user_picks = st.session_state, st.session_state.setdefault("model_picks", {})
    if state.get("model") in labels and state.get("model") != state.get("model_auto"):
        user_picks[dataset_name] = state["model"]
    user_pick = user_picks.get(dataset_name)
    if user_pick in labels:
        state["model"], why = user_pick, None
    else:
        state["model"], why = picks.pick_for_page(page, [{**entry.meta, "name": entry.name} for entry in fitting])
        state["model_auto"] = state["model"]
    chosen = st.selectbox("Model", list(labels), key="model", format_func=labels.get, on_change=_remember_pick,
                          args=(dataset_name,),
                          help="Each page opens on the model that shows it best; a model you pick stays on every page.")
    if why:
        st.caption(f"Picked for this page: {why}.")
    else:
        st.caption("Your pick: it stays on every page.")
        st.button("Let each page pick", on_click=_forget_pick, args=(dataset_name,), key="forget_pick",
                  icon=":material/auto_awesome:")
    return chosen


def _remember_pick(dataset_name: str):
    """The select box's callback: any choice the user makes is a pick, even the one the page had chosen."""
    st.session_state.setdefault("model_picks", {})[dataset_name] = st.session_state["model"]


def explore(dataset_name: str, model_name: str):
    """An Explore button's callback: runs before the sidebar's widgets exist, so it may set their values."""
    st.session_state["dataset"] = st.session_state["dataset_pick"] = dataset_name
    st.session_state["model"] = model_name


def _forget_pick(dataset_name: str):
    st.session_state.get("model_picks", {}).pop(dataset_name, None)
    st.session_state.pop("model_auto", None)
    st.session_state.pop("model", None)


def require_model(context: Context, what: str):
    """The empty state of every explore page: say what is missing and link to the fix, then stop."""
    if context.model is not None:
        return
    st.info(f"{what} needs a trained model for **{md(context.dataset_name)}**. Train one (the quick start takes under a "
            "minute), or pick another dataset in the sidebar.")
    st.page_link(TRAIN_PAGE, label="Go to Train / load", icon=":material/model_training:")
    st.stop()


def class_name(context: Context, label: int) -> str:
    names = context.dataset.class_names
    return names[int(label)] if names else str(int(label))


def label_of(context: Context, index: int) -> str:
    labels = context.dataset.y_test
    return f"#{index}" if labels is None else f"#{index} {class_name(context, labels[index])}"


def show_error(error: Exception):
    st.error(md(error) if isinstance(error, AecoreError) else f"Something went wrong: {md(error)}")
