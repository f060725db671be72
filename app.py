"""Health Equity Atlas: the Streamlit app from a checkout (``streamlit run app.py``).

The app itself lives in the package (:mod:`atlas.ui.app`), so an installed atlas starts it with
``atlas app``; this file runs the same thing.
"""

from atlas.ui.app import run

run()
