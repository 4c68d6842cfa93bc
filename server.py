"""The dashboard's server: `streamlit run server.py` serves app.py as Streamlit does, plus one middleware that
lets a fresh browser fetch Streamlit's element code sooner (dashboard/preload.py). `make run` starts this;
`streamlit run app.py` still works, without the preloading.
"""

import starlette.middleware
import streamlit as st
from streamlit import file_util

from dashboard import preload

app = st.App("app.py", middleware=[starlette.middleware.Middleware(preload.ElementCodePreloader,
                                                                   static_dir=file_util.get_static_dir())])
