"""The Streamlit app's pages and the helpers they share.

Each page is a module here with a ``page()`` function that draws it;
``app.py`` registers them with ``st.navigation``. Cached loaders live in
:mod:`atlas.ui.common`; the local serving of Leaflet, the map script and the
geometry files in :mod:`atlas.ui.assets`.
"""
