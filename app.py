"""Autoencoder Explorer: declares the pages; each page is a short script in pages/."""

import streamlit as st

st.set_page_config(page_title="Autoencoder Explorer", page_icon="🧭", layout="wide")

pages = {
    "Start": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
              st.Page("pages/train.py", title="Train / load", icon=":material/model_training:")],
    "Explore": [
        st.Page("pages/reconstructions.py", title="Reconstructions", icon=":material/compare:"),
        st.Page("pages/feature_maps.py", title="Feature maps", icon=":material/grid_view:"),
        st.Page("pages/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
        st.Page("pages/latent_sampler.py", title="Latent sampler", icon=":material/tune:"),
        st.Page("pages/denoise.py", title="Denoise", icon=":material/auto_fix_high:"),
    ],
}
st.navigation(pages).run()
