"""Server plumbing, below everything else in the dashboard: the middleware that preloads Streamlit's element code
(preload), Streamlit's frontend files served from memory (static_memory), the route that serves thumbnail sheets
(sheets) and the fixes this app needs in Streamlit itself (streamlit_fixes). Imports nothing of the dashboard's other rooms."""
