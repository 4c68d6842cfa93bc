"""The Streamlit dashboard's helpers. Importing the package applies the Streamlit fixes this app needs."""

from dashboard.server import streamlit_fixes

streamlit_fixes.install()
