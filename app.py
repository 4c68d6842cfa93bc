"""Autoencoder Explorer: declares the pages; each page is a short script in views/ (not pages/, which Streamlit would auto-discover)."""

import streamlit as st

st.set_page_config(page_title="Autoencoder Explorer", page_icon="🧭", layout="wide")

pages = {
    "Start": [st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
              st.Page("views/train.py", title="Train / load", icon=":material/model_training:"),
              st.Page("views/datasets.py", title="Datasets", icon=":material/photo_library:")],
    "Explore": [
        st.Page("views/reconstructions.py", title="Reconstructions", icon=":material/compare:"),
        st.Page("views/feature_maps.py", title="Feature maps", icon=":material/grid_view:"),
        st.Page("views/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
        st.Page("views/timeline.py", title="Training timeline", icon=":material/timeline:"),
        st.Page("views/latent_sampler.py", title="Latent sampler", icon=":material/tune:"),
        st.Page("views/denoise.py", title="Restore", icon=":material/auto_fix_high:"),
        st.Page("views/anomaly.py", title="Anomalies", icon=":material/crisis_alert:"),
    ],
}
st.navigation(pages).run()
