"""The dashboard's server: `streamlit run server.py` serves app.py as Streamlit does, warmed up from its start
(the default dataset, and with models in the store Keras and Home's model, load in a thread, so the first visit
does not wait for them), plus two middlewares, one that serves Streamlit's own frontend files from memory
(dashboard/server/static_memory.py) and one that lets a fresh browser fetch Streamlit's element code sooner
(dashboard/server/preload.py), and one route that serves the whole-dataset map's thumbnails
(dashboard/server/sheets.py). `make run` starts this;
`streamlit run app.py` still works, without the warm-up, the preloading and the thumbnails on the whole-dataset map.
"""

import os
import sys
import threading
import time

import starlette.middleware
import streamlit as st
from streamlit import file_util

from dashboard.server import preload, sheets, static_memory
from dashboard.state import roles


def warm_up():
    """What the first page needs, loaded while nobody waits: the default dataset and, when the store has a model
    for it, Keras (seconds to import) and the model Home would open on, into the same caches the pages read. An
    empty store's Home needs no Keras (the quick start trains in worker processes; Home warms Keras up once models
    land: warmup.warm_up). A visit meanwhile waits only for what is still loading (Python's import lock, the cache's
    per-key lock), never for it all again."""
    started = time.perf_counter()
    try:
        from aecore.data import catalog
        from dashboard.state import caches, picks

        caches.dataset(name := catalog.default_dataset_name())
        fitting = [entry for entry in caches.model_store().entries()
                   if tuple(entry.meta.get("input_shape", ())) == caches.dataset(name).input_shape]
        best, _ = picks.pick_for_page("home", [{**entry.meta, "name": entry.name} for entry in fitting])
        if best:
            caches.model(best, caches.stamp_of(next(entry.meta for entry in fitting if entry.name == best)))
        keras = "Keras, " if "keras" in sys.modules else ""
        print(f"warm: {keras}{name} and {best or 'no model'} loaded in {time.perf_counter() - started:.1f} s", flush=True)
    except Exception as error:  # noqa: BLE001  a failed warm-up only means the first visit loads it instead
        print(f"warm: skipped ({type(error).__name__}: {error})", flush=True)


if os.environ.get("AECORE_WARM", "1") != "0":  # AECORE_WARM=0: a cold server, for bench/first_minutes.py
    threading.Thread(target=warm_up, name="aecore-warm-up", daemon=True).start()

if roles.mode() == "open":  # once, in the terminal of whoever starts the server
    print("note: this dashboard is open: anyone who can reach it can train, import, rename and delete models. "
          "To host it for a class, start it with AECORE_OWNER_PASSWORD=... (or [auth] in .streamlit/secrets.toml "
          "and AECORE_OWNER_EMAILS); visitors then explore as viewers.", flush=True)

app = st.App("app.py", routes=[sheets.route], middleware=[
    starlette.middleware.Middleware(preload.ElementCodePreloader, static_dir=file_util.get_static_dir()),
    starlette.middleware.Middleware(static_memory.StaticFromMemory, static_dir=file_util.get_static_dir())])
