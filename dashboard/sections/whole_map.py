"""The Latent map's whole-dataset view (views/latent_map.py): every image (or window of a series), train and test,
on one WebGL map (dashboard/components/big_map/), computed by a map job (dashboard/state/map_jobs.py) and cached.

While UMAP or t-SNE is computed, the page shows the job's progress and, once the codes are in, their PCA map. Points
are coloured by class, error, split, code-space anomaly scores (aecore.analysis.codespace) and, on a series, time.
A click shows the image (a window and its reconstruction as lines), its code and nearest neighbours; a lasso shows
the selection, its class counts and its mean code decoded, with its indices to download.
Longer than 300 lines: the map, its colourings (scores included) and its click and lasso panels share one context
and one cached message; sections do not import each other, so they stay one module.
"""

from collections import Counter

import numpy as np
import streamlit as st

from aecore.analysis import codespace, probes, projections
from aecore.errors import AecoreError
from aecore.store import mapcache
from dashboard import plots, series_plots
from dashboard.components import big_map
from dashboard.server import sheets
from dashboard.state import caches, map_jobs, sidebar
from dashboard.text import md

SPLIT = "all"
MAX_MOSAIC = 64
NEIGHBOURS = 8
METHOD_NAMES = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}
FIT_CODES = 5_000  # normal training codes the code-space scores are fitted on (a seeded sample)
SCORES_AT_ONCE = 20_000  # maps of up to this many points offer the anomaly-score colourings at once, else a toggle
SCORE_TEXTS = {"code_distance": ("code distance (anomaly score)", "mean cosine distance to the 5 nearest normal training codes"),
               "mahalanobis": ("Mahalanobis distance (anomaly score)", "Mahalanobis distance to the normal training codes"),
               "negative_elbo": ("negative ELBO (anomaly score)", "the VAE's own loss for the image: rebuild error + KL")}


@st.cache_data(max_entries=6, show_spinner=False)
def message(ref: caches.ModelRef, method: str, _projection, highlight: int | None,
            chosen: tuple | None = None, other: caches.ModelRef | None = None, scored: bool = False) -> bytes:
    """The map's binary message; `chosen` the selection to show, `other` the compared model's reference, `scored`:
    with the code-space anomaly scores as colourings."""
    dataset, (_, errors) = caches.dataset(ref.dataset), caches.codes_and_errors(ref)
    labels = None if dataset.y_train is None or dataset.y_test is None else np.concatenate([dataset.y_train, dataset.y_test])
    is_train = np.arange(len(dataset.x_train) + len(dataset.x_test)) < len(dataset.x_train)
    shared = None if other is None else agreement(*sorted([ref, other], key=lambda each: each.stamp))
    base = big_map.base_key(ref.stamp, ref.dataset, method)
    key = base + (f"-beside-{other.stamp}" if other else "")
    order = big_map.sheet_order(_projection.points)
    series = sidebar.is_series(dataset)
    token = sheets.register(f"{ref.dataset}/{SPLIT}/{key}", mapcache.parts(dataset, SPLIT), order,
                            draw=series_plots.curve_pictures if series else None)
    shape = series_plots.thumb_shape(len(errors), dataset.channels) if series else dataset.x_test.shape
    return big_map.pack(key, _projection.points, labels, is_train, errors, dataset.class_names, shape,
                        f"{sheets.PATH}/{token}", highlight, chosen, shared, order, base,
                        colourings=colourings(ref, scored), starts=window_starts(dataset) if series else None,
                        window=dataset.window if series else None)


def window_starts(dataset) -> np.ndarray:
    """(n,) the first step of every window, training windows first, as on the map."""
    return np.concatenate([dataset.train_starts, dataset.test_starts])


@st.cache_data(max_entries=6, show_spinner="Scoring every code: distance to the nearest normal training codes…")
def code_scores(ref: caches.ModelRef) -> dict[str, np.ndarray]:
    """{"code_distance", "mahalanobis"}: (n,) for every point of the map, fitted on up to FIT_CODES normal training
    codes (not the class a detector was trained without; on a series, not the windows labelled anomalous); a fitted
    code's own distance leaves itself out. {} when there are too few training codes for k nearest."""
    dataset, codes = caches.dataset(ref.dataset), caches.codes_and_errors(ref)[0]
    codes, normal = codes.reshape(len(codes), -1), np.arange(len(dataset.x_train))
    rare = 1 if sidebar.is_series(dataset) else caches.model_store().meta(ref.name).get("excluded_class")
    if rare is not None and dataset.y_train is not None:
        normal = normal[dataset.y_train != rare]
    fitted = normal[probes.sample(len(normal), FIT_CODES, 0)]
    try:
        space = codespace.fit(codes[fitted], codespace.DEFAULT_METRIC, codespace.DEFAULT_NEIGHBOURS)
    except AecoreError:
        return {}
    distance = codespace.knn_distance(space, codes)
    distance[fitted] = codespace.knn_distance(space, codes[fitted], skip_self=True)
    found = {"code_distance": distance, "mahalanobis": codespace.mahalanobis(space, codes)}
    autoencoder = caches.model(ref.name, ref.stamp)
    if autoencoder.is_variational:  # the map's order: train, then test (mapcache's "all")
        found["negative_elbo"] = np.concatenate([codespace.negative_elbo(autoencoder, dataset.x_train),
                                                 codespace.negative_elbo(autoencoder, dataset.x_test)])
    return found


def colourings(ref: caches.ModelRef, scored: bool) -> tuple[big_map.Colouring, ...]:
    """The map's colourings besides class, error and split: on a series, time; `scored`, the code-space scores."""
    dataset = caches.dataset(ref.dataset)
    found = [big_map.time_colouring(window_starts(dataset), dataset.timestamps)] if sidebar.is_series(dataset) else []
    scores = code_scores(ref) if scored else {}
    return tuple(found + [big_map.score_colouring(key, *SCORE_TEXTS[key], values) for key, values in scores.items()])


@st.cache_data(max_entries=4, show_spinner="Comparing the two code spaces: each image's 10 nearest neighbours in both…")
def agreement(first: caches.ModelRef, second: caches.ModelRef) -> np.ndarray:
    """(n,) share of each image's 10 nearest neighbours the two models' code spaces share."""
    return projections.neighbour_agreement(caches.codes_and_errors(first)[0], caches.codes_and_errors(second)[0])


def _job_progress(store, model_name: str, dataset_name: str, method: str, codes_shown: bool = True):
    """Starts the map's job (when no other map job runs) and shows its progress, polled each second; reruns the
    page when the map has landed, and when the codes have (`codes_shown` False: the page waits for them to show
    their PCA map meanwhile)."""
    @st.fragment(run_every=1.0)
    def poll():
        if mapcache.cached_map(store, model_name, dataset_name, SPLIT, method) is not None:
            st.rerun(scope="app")
        if not codes_shown and mapcache.has_codes(store, model_name, dataset_name, SPLIT):
            st.rerun(scope="app")
        status = map_jobs.status(store, model_name, dataset_name, SPLIT, method)
        if status is not None and status.get("error") and not status["running"]:
            st.error(f"The {METHOD_NAMES[method]} map of {md(model_name)} could not be computed: "
                     f"{md(status['error'])}")
            return
        if status is None or not status["running"]:
            if not map_jobs.start(store, model_name, dataset_name, SPLIT, method):
                st.info(f"Another map is being computed; the {METHOD_NAMES[method]} map of {md(model_name)} starts when "
                        "it is done.", icon=":material/hourglass_top:")
                return
            status = map_jobs.status(store, model_name, dataset_name, SPLIT, method) or {}
        stage = {"starting": "Starting", "encoding": "Encoding every image", "projecting": f"{METHOD_NAMES[method]} of the codes"}
        st.progress(float(status.get("fraction", 0.0)),
                    text=f"{model_name}: {stage.get(status.get('stage'), 'Working')}… {status.get('elapsed', 0):.0f} s "
                         "(it runs in its own process: you can keep exploring, and the map is kept for next time)")

    poll()


def section(context, method: str):
    """The whole-dataset map for the chosen projection `method`; returns (the projection drawn, its method), or
    None while nothing can be drawn yet (the codes are still being computed)."""
    store, dataset = caches.model_store(), context.dataset
    total = len(dataset.x_train) + len(dataset.x_test)
    projection = mapcache.cached_map(store, context.model_name, context.dataset_name, SPLIT, method)
    shown_method = method
    if projection is None:
        status = map_jobs.status(store, context.model_name, context.dataset_name, SPLIT, method)
        if status is not None and status.get("error") and not status["running"]:
            st.error(f"The {METHOD_NAMES[method]} map could not be computed: {md(status['error'])}")
            if not st.button("Try again", icon=":material/refresh:"):
                st.stop()
            map_jobs.start(store, context.model_name, context.dataset_name, SPLIT, method)
        have_codes = mapcache.has_codes(store, context.model_name, context.dataset_name, SPLIT)
        _job_progress(store, context.model_name, context.dataset_name, method, codes_shown=have_codes)
        if not have_codes:
            st.caption(f"The codes of all {total:,} images come first; their PCA map shows here as soon as they do.")
            return None
        projection, shown_method = caches.pca_map(context.ref), "pca"
        if method != "pca":
            st.caption(f"Meanwhile: PCA of the same codes. The {METHOD_NAMES[method]} map replaces it when it lands.")
    draw(context, projection, shown_method)
    return projection, shown_method


def _other_map(context, method: str, other: str):
    """The compared model's map of the same images: cached, or its job started with its progress shown (None)."""
    store = caches.model_store()
    found = mapcache.cached_map(store, other, context.dataset_name, SPLIT, method)
    if found is None:
        _job_progress(store, other, context.dataset_name, method)
    return found


def draw(context, projection, method: str):
    dataset, state = context.dataset, st.session_state
    codes, errors = caches.codes_and_errors(context.ref)
    selected_key, clicked_key = f"whole_selected-{context.dataset_name}", f"whole_clicked-{context.dataset_name}"
    columns = st.columns(4)
    noun = context.noun
    columns[0].metric(f"{noun.capitalize()}s", f"{len(projection.points):,}",
                      help=f"Every training and test {noun} of the dataset.")
    columns[1].metric("Trustworthiness", f"{projection.trustworthiness:.3f}",
                      help="1.0 means the map's nearest neighbours are also neighbours in code space (Venna & Kaski), "
                           f"measured on 1,000 sampled {noun}s.")
    columns[2].metric("Computed in", f"{projection.seconds:.0f} s", help="Once: it is kept beside the model.")
    columns[3].metric("Code size", f"{codes.shape[1]}", help=f"{codes.shape[0]:,} codes of {codes.shape[1]} numbers, "
                      f"one per {noun}; the map squeezes them to 2.")  # "70,000 × 32" was cut off in its column
    left, right = st.columns(2)
    typed = left.number_input(f"Find {'a window' if context.is_series else 'an image'} by its index (train {noun}s "
                              "first, then test)", 0, len(codes) - 1,
                              value=None, key=f"whole-find-{context.stamp}", placeholder=f"0 to {len(codes) - 1:,}")
    others = {entry.name: entry.meta for entry in context.entries
              if entry.name != context.model_name and entry.meta.get("family") != "photo"}
    other = right.selectbox("Compare with another model", [None, *others], key="whole_compare",
                            format_func=lambda name: "no comparison" if name is None else name,
                            help=f"The same {noun}s on that model's map; a lasso on either map shows on both.")
    scored = left.toggle("Anomaly scores in *Colour by*", len(codes) <= SCORES_AT_ONCE, key=f"whole-scored-{context.stamp}",
                         help="Code and Mahalanobis distance to the normal training codes, once per model (~10 s for 70,000).")
    other_projection = _other_map(context, method, other) if other else None
    chosen = [index for index in state.get(selected_key) or [] if index < len(codes)] or None
    chosen_key = tuple(chosen) if chosen else None
    highlight = None if typed is None else int(typed)
    hover = "the window's curve (one light line per channel)" if context.is_series else "the image"
    st.caption(f"**{METHOD_NAMES[method]} of all {len(codes):,} codes**. Scroll to zoom, drag to pan, hover for "
               f"{hover}; click a point for its reconstruction and neighbours; shift-drag (or *Lasso*) to select a "
               "group. Click a class below the map to hide it. *Colour by* also offers the code-space anomaly scores "
               f"(far from the normal training codes: unusual){' and time' if context.is_series else ''}; the colour "
               "bar under the map says what the colours mean.")
    maps = [(context.ref, projection)]
    if other_projection is not None:
        maps.append((caches.ModelRef(other, caches.stamp_of(others[other]), context.dataset_name), other_projection))
    events = []
    for column, (ref, found) in zip(st.columns(len(maps)), maps):
        with column:
            partner = next((each for each, _ in maps if each != ref), None)
            if len(maps) > 1:
                st.text(ref.name)
            data = message(ref, method, found, highlight, chosen_key, partner, scored)
            events.append(big_map.big_map(data, key=f"bigmap-{ref.stamp}-{ref.dataset}"))
    if len(maps) > 1:
        shared = agreement(*sorted([each for each, _ in maps], key=lambda each: each.stamp))
        st.caption(f"**Agreement: {shared.mean():.0%}** of each image's 10 nearest neighbours in one code space are "
                   "among its 10 nearest in the other (averaged over every image). *Colour by agreement* shows where "
                   "the two models group images alike and where they differ.")
    for clicked, selected in events:
        if clicked is not None:
            state[clicked_key], state[selected_key] = int(clicked), None
        if selected is not None:
            state[selected_key] = [int(index) for index in selected] or None
    if state.get(selected_key) != chosen:
        st.rerun()  # so the other map shows the new selection too
    if chosen:
        show_many(context, chosen, codes)
    elif typed is not None or (state.get(clicked_key) is not None and state[clicked_key] < len(codes)):
        show_one(context, int(typed) if typed is not None else state[clicked_key], codes, errors)
    downloads = st.columns(2)
    downloads[0].download_button("Map coordinates (CSV)", lambda: mapcache.points_csv(
        projection, mapcache.split(dataset, SPLIT, with_images=False), dataset.class_names), f"{context.model_name}-{method}-map.csv",
        "text/csv", on_click="ignore", icon=":material/table:")
    downloads[1].download_button("TensorFlow Projector (zip)", lambda: projections.projector_bundle(
        codes, mapcache.split(dataset, SPLIT).images, _labels(context), dataset.class_names),
        f"{context.model_name}-all-projector.zip", "application/zip", on_click="ignore", icon=":material/folder_zip:")


def _name(context, index: int) -> str:
    labels = _labels(context)
    where = "train" if index < len(context.dataset.x_train) else "test"
    if context.is_series:
        start = int(window_starts(context.dataset)[index])
        where = f"steps {start:,}-{start + context.dataset.window - 1:,}, {where}"
    return f"#{index}, {where}" if labels is None else f"#{index} {sidebar.class_name(context, labels[index])}, {where}"


def _labels(context):
    found = context.dataset
    return None if found.y_train is None or found.y_test is None else np.concatenate([found.y_train, found.y_test])


def show_one(context, index: int, codes: np.ndarray, errors: np.ndarray):
    image = mapcache.images_at(context.dataset, SPLIT, [index])[0]
    neighbours = projections.nearest_neighbours(codes, index, NEIGHBOURS)
    if context.is_series:
        _show_window(context, index, image, codes, errors, neighbours)
        return
    first, second, third = st.columns([1, 1, 2])
    first.plotly_chart(plots.single_image(image, f"original {_name(context, index)}"), width="stretch")
    second.plotly_chart(plots.single_image(context.model.reconstruct(image)[0], f"reconstruction (error {errors[index]:.4f})"),
                        width="stretch")
    third.plotly_chart(plots.code_bars(codes[index], "its code"), width="stretch")
    st.plotly_chart(plots.image_strip(mapcache.images_at(context.dataset, SPLIT, neighbours),
                                      [_name(context, neighbour) for neighbour in neighbours]), width="stretch")
    st.caption(f"The {NEIGHBOURS} nearest codes among all {len(codes):,} (Euclidean, in the full code space, not on the map).")


def _show_window(context, index: int, window: np.ndarray, codes: np.ndarray, errors: np.ndarray, neighbours):
    """A clicked window: it and its reconstruction as lines over its steps, its code, and its nearest windows."""
    current, start = context.dataset, int(window_starts(context.dataset)[index])
    first, second = st.columns([3, 2])
    first.plotly_chart(series_plots.window_lines(
        [("window", window), ("reconstruction", context.model.reconstruct(window)[0])], current.columns,
        start + np.arange(current.window), f"{_name(context, index)} (error {errors[index]:.4f})"), width="stretch")
    second.plotly_chart(plots.code_bars(codes[index], "its code"), width="stretch")
    st.plotly_chart(series_plots.window_grid([("window", mapcache.images_at(current, SPLIT, neighbours))],
                                             [_name(context, neighbour) for neighbour in neighbours]), width="stretch")
    st.caption(f"The {NEIGHBOURS} nearest codes among all {len(codes):,} (Euclidean, in the full code space, not on the "
               "map): windows the model takes for alike, wherever they are in the series.")


def show_many(context, indices: list[int], codes: np.ndarray):
    labels, shown = _labels(context), indices[: 16 if context.is_series else MAX_MOSAIC]
    title = f"the first {len(shown)} of {len(indices):,} selected" if len(indices) > len(shown) else f"{len(indices)} selected"
    decoded = context.model.decode(codes[indices].mean(axis=0)[None])[0]
    left, right = st.columns([3, 1])
    if context.is_series:  # the windows as lines, where they lie in the series, and their mean code decoded as a line
        current, starts = context.dataset, window_starts(context.dataset)
        left.plotly_chart(series_plots.window_grid([("window", mapcache.images_at(current, SPLIT, shown))],
                                                   [title] + [""] * (len(shown) - 1)), width="stretch")
        right.plotly_chart(series_plots.window_lines([("decoded", decoded)], current.columns,
                                                     title="their mean code, decoded"), width="stretch")
        marks = [(int(starts[index]), int(starts[index]) + current.window - 1, "") for index in indices[:MAX_MOSAIC]]
        st.plotly_chart(series_plots.series_overview(current.values, current.train_steps, current.columns,
                                                     current.step_labels, marks), width="stretch")
    else:
        sheet = plots.mosaic(mapcache.images_at(context.dataset, SPLIT, shown), min(16, len(shown)))
        left.plotly_chart(plots.single_image(sheet, title, height=120 + 40 * int(np.ceil(len(shown) / 16))),
                          width="stretch")
        right.plotly_chart(plots.single_image(decoded, "their mean code, decoded"), width="stretch")
    if labels is not None:
        tally = Counter(sidebar.class_name(context, label) for label in labels[indices])
        st.caption(f"{len(indices):,} {context.noun}s selected: " +
                   ", ".join(f"{md(name)}: {count:,}" for name, count in tally.most_common()))
    rows = "index,split,label\n" + "".join(
        f"{index},{'train' if index < len(context.dataset.x_train) else 'test'},{'' if labels is None else int(labels[index])}\n"
        for index in indices)
    st.download_button("Selected indices (CSV)", rows, f"{context.model_name}-selection.csv", "text/csv",
                       on_click="ignore", icon=":material/download:")
