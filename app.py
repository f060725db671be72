"""Health Equity Atlas: the Streamlit app (placeholder until the map app lands)."""

from __future__ import annotations

import streamlit as st

import atlas
from atlas import config
from atlas.store import atlas_path

LA = "E06000032"


@st.cache_resource(show_spinner="Building the atlas from the official files ...")
def load_atlas(la: str) -> atlas.Atlas:
    path = atlas_path(config.out_dir() / "atlas", la)
    return atlas.load(path) if path.exists() else atlas.build(la)


built = load_atlas(LA)
st.title(f"Health Equity Atlas: {built.la_name}")
geography = st.selectbox("Geography", list(built.geographies), format_func=lambda g: built.geography_labels.get(g, g))
st.dataframe(built.table(geography).drop(columns="geometry"))
