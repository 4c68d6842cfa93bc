"""The Streamlit dashboard's helpers. Importing the package applies the one Streamlit fix this app needs."""

from dashboard import streamlit_fixes

streamlit_fixes.keep_keras_state()
