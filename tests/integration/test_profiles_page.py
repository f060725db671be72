"""The area profiles page (issue 6), run with Streamlit's AppTest against Luton's atlas."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from atlas import profiles
from atlas.ui.upload import plain  # the page shows names escaped as Markdown source

from ..conftest import page_test


@pytest.fixture(scope="module")
def page_app(luton_path, tmp_path_factory):
    with page_test("atlas.ui.profile_page", luton_path, tmp_path_factory.mktemp("profile_page_out"),
                   timeout=240) as at:
        yield at


def tables(at: AppTest) -> list:
    return [df.value for df in at.dataframe]


def test_ward_profile_on_the_page_matches_the_atlas(page_app, luton):
    at = page_app
    assert not at.exception, at.exception
    assert at.title[0].value == plain("Area profiles: Luton")
    at.selectbox(key="profile_ward2023").set_value("E05014737").run()
    assert not at.exception, at.exception
    assert at.header[0].value == plain("Neighbourhood profile: Biscot")
    expected = profiles.build_profile(luton, "E05014737")
    indicators = next(t for t in tables(at) if "Compared with England" in t.columns and "Theme" in t.columns)
    assert indicators.equals(expected.table("indicators").shown)
    subheaders = [s.value for s in at.subheader]
    # the summary first (as the PDF's first two pages), then every table in full
    assert subheaders[:4] == ["At a glance", "Key indicators", "Services", "The full tables"]
    titles = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert titles == [f"#### {plain(t.title)}" for t in expected.tables]
    assert at.table[0].value.index.tolist() == [label for label, _ in expected.summary]  # wraps, never cut off
    labels = [b.proto.label for b in at.get("download_button")]
    if profiles.tagged_pdf_available():  # chromium prints the accessible PDF (test_profiles_tagged.py)
        assert labels == ["Download the profile (HTML)", "Download the profile (PDF)",
                          "Download the accessible PDF (tagged)", "Download the figures (CSV)"]
    else:
        assert labels == ["Download the profile (HTML)", "Download the profile (PDF)", "Download the figures (CSV)"]
        assert any("not tagged for screen readers" in c.value for c in at.caption)
    images = at.get("image")
    assert len(images) == 2 and images[0].proto.imgs[0].caption == expected.map_alt  # the map's description
    assert images[1].proto.imgs[0].caption == expected.table("spine").image_alt  # the spine chart's


def test_pcn_and_lsoa_choices(page_app, luton):
    at = page_app
    at.radio(key="profile_kind").set_value("pcn").run()
    at.selectbox(key="profile_pcn").set_value("U79932").run()
    assert not at.exception, at.exception
    assert at.header[0].value == plain("Neighbourhood profile: Hatters Health PCN")
    assets = next(t for t in tables(at) if "Relation to the area" in t.columns)
    practices = luton.points["gp_practices"]
    listed = set(assets.loc[assets["Type"] == "GP practices", "Code"])
    assert listed == set(practices.index[practices["pcn_code"] == "U79932"])
    at.radio(key="profile_kind").set_value("lsoas").run()
    assert not at.exception, at.exception
    assert "Choose an area" in at.info[0].value  # an empty selection asks for one, no error
    at.multiselect(key="profile_lsoas_lsoa21").set_value(["E01015698", "E01015700"]).run()
    assert not at.exception, at.exception
    assert at.header[0].value == plain("Neighbourhood profile: 2 selected LSOAs")
