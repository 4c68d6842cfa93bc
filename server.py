"""The dashboard's server: `streamlit run server.py` serves app.py as Streamlit does, plus one middleware that
lets a fresh browser fetch Streamlit's element code sooner (dashboard/server/preload.py) and one route that serves the
whole-dataset map's thumbnails (dashboard/server/sheets.py). `make run` starts this; `streamlit run app.py` still works,
without the preloading and with no thumbnails on the whole-dataset map.
"""

import starlette.middleware
import streamlit as st
from streamlit import file_util

from dashboard.server import preload, sheets
from dashboard.state import roles

if roles.mode() == "open":  # once, in the terminal of whoever starts the server
    print("note: this dashboard is open: anyone who can reach it can train, import, rename and delete models. "
          "To host it for a class, start it with AECORE_OWNER_PASSWORD=... (or [auth] in .streamlit/secrets.toml "
          "and AECORE_OWNER_EMAILS); visitors then explore as viewers.", flush=True)

app = st.App("app.py", routes=[sheets.route], middleware=[starlette.middleware.Middleware(preload.ElementCodePreloader,
                                                                   static_dir=file_util.get_static_dir())])
