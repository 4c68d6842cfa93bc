"""Autoencoder Explorer: the dashboard's entry point."""

import streamlit as st

st.set_page_config(page_title="Autoencoder Explorer", page_icon="🧭", layout="wide")
st.title("Autoencoder Explorer")
st.info("The dashboard pages are being built; the engine and the command line (`python -m aecore`) work today.")
