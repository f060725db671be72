"""The district page (issue 5): district-level trends and the life-expectancy gap, run with AppTest."""

from __future__ import annotations

import pytest

from atlas.plaintext import plain  # the page shows names escaped as Markdown source

from ..conftest import page_test


@pytest.fixture(scope="module")
def page_app(luton_path, tmp_path_factory):
    with page_test("atlas.ui.district_page", luton_path, tmp_path_factory.mktemp("district_page_out")) as at:
        yield at


def test_district_page_shows_the_gap_beside_the_published_figures(page_app):
    at = page_app
    assert not at.exception, at.exception
    assert at.title[0].value == plain("District context: Luton")
    headers = [h.value for h in at.header]
    assert headers == ["Life expectancy by deprivation", "GP registers by Primary Care Network",
                       "Physical activity and adult weight (district level)", "Similar authorities"]
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"Slope index of inequality, women", "Slope index of inequality, men"}
    assert all(value.endswith(" years") for value in metrics.values())
    table = next(df.value for df in at.dataframe if "Published: 2018-20" in df.value.columns)
    published = table.set_index(["Sex", "Measure"])["Published: 2018-20"]
    assert published[("women", "Most deprived areas")] == "80.2"
    assert published[("women", "Least deprived areas")] == "85.6"
    assert published[("men", "Most deprived areas")] == "72.7"
    assert published[("men", "Least deprived areas")] == "79.4"
    assert published[("men", "Gap (least minus most deprived)")] == "6.7"
    ours = table.filter(like="Ours: 2016 to 2020").iloc[:, 0]
    assert all(float(v) > 0 for v in ours)
    note = " ".join(i.value for i in at.info)
    assert "Different period and method" in note and plain("2018-20") in note and "2016 to 2020" in note


def test_activity_and_weight_are_labelled_district_level_with_table_alternatives(page_app):
    at = page_app
    warning = " ".join(w.value for w in at.warning)
    assert "District-level figures" in warning and "not maps" in warning
    subheaders = [s.value for s in at.subheader]
    for label in ("Physically active adults (%)", "Physically inactive adults (%)", "Adults overweight or obese (%)"):
        assert plain(label) in subheaders
    tables = [df.value for df in at.dataframe]
    active = next(t for t in tables if "Luton" in t.columns and "England" in t.columns)
    assert active.loc["2015/16", "Luton"] == 61.8
    assert {"Central Bedfordshire", "North Hertfordshire"} <= set(active.columns)
    captions = " ".join(c.value for c in at.caption)
    assert "Open Government Licence" in captions and "Active Lives" in captions
    assert "Luton 003" not in captions and "E02003260" in captions  # the missing female value is said


def test_obesity_by_primary_care_network_is_tabled_with_comparisons(page_app):
    at = page_app
    assert at.selectbox(key="district_pcn_layer").value == "qof_ob"
    table = next(df.value for df in at.dataframe if "Primary Care Network" in df.value.columns)
    assert len(table) == 7 and table["Practices"].sum() == 25
    assert set(table["Compared with Luton"]) <= {"Better", "Similar", "Worse"}
    at.selectbox(key="district_pcn_layer").set_value("qof_dm").run()
    table = next(df.value for df in at.dataframe if "Primary Care Network" in df.value.columns)
    assert set(table["Compared with England"]) <= {"Higher", "Similar", "Lower"}


def test_practices_are_drawn_coloured_by_network_or_prevalence_with_a_table(page_app, luton):
    at = page_app
    assert at.radio(key="district_practice_colour").value == "Primary Care Network"
    captions = " ".join(c.value for c in at.caption)
    assert "Primary Care Network of each active GP practice in Luton" in captions
    assert "Contains OS data" in captions
    table = next(df.value for df in at.dataframe if "Practice" in df.value.columns)
    assert len(table) == 25 and table["Primary Care Network"].notna().all()
    at.selectbox(key="district_pcn_layer").set_value("qof_ob").run()
    at.radio(key="district_practice_colour").set_value(
        "Obesity: recorded prevalence (QOF, aged 18+)").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert plain("Obesity: recorded prevalence (QOF, aged 18+) (% of registered patients aged 18+) of each") in captions


def test_practice_figure_has_a_legend_of_network_names(luton):
    from atlas.points import point_style
    from atlas.ui.district_page import practice_figure
    figure = practice_figure(luton, "gp_practices", point_style(luton, "gp_practices"))
    legend = figure.axes[0].get_legend()
    assert legend.get_title().get_text() == "Primary Care Network"
    assert [t.get_text() for t in legend.get_texts()] == sorted(set(luton.points["gp_practices"]["pcn_name"]))


def test_catchment_of_a_network_or_a_practice_is_mapped_with_a_table(page_app, luton):
    at = page_app
    assert "Where the practices' patients live" in [s.value for s in at.subheader]
    at.radio(key="district_catchment_kind").set_value("a Primary Care Network").run()
    at.selectbox(key="district_catchment_network").set_value("U79932").run()
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "Share of its patients (%)" in df.value.columns)
    assert table["Share of its patients (%)"].sum() == pytest.approx(100, abs=0.5)  # shown to 2 decimals
    captions = " ".join(c.value for c in at.caption)
    assert "Share of the registered patients of Hatters Health PCN living in each LSOA" in captions
    assert "live outside Luton" in captions and "July 2023" in captions
    assert plain("feed the small-area estimate") in captions  # the practice layer says which estimate it feeds
    at.radio(key="district_catchment_kind").set_value("a practice").run()
    at.selectbox(key="district_catchment_practice").set_value("E81032").run()
    table = next(df.value for df in at.dataframe if "Share of its patients (%)" in df.value.columns)
    expected = luton.catchments[luton.catchments["practice"] == "E81032"]
    assert len(table) == len(expected) and table["Patients"].sum() == expected["patients"].sum()


def test_catchment_figure_shades_the_lsoas_by_share(luton):
    from atlas.catchments import catchment_table
    from atlas.ui.district_page import catchment_figure
    table = catchment_table(luton, ["E81032"])
    figure = catchment_figure(luton, table, "Lea Vale", ["E81032"])
    assert "Lea Vale" in figure.axes[0].get_title()
    assert len(figure.axes) == 2  # the map and its colour bar
def test_district_page_lists_similar_authorities_beside_england(luton_path, tmp_path):
    from atlas.similar import similar_authorities
    with page_test("atlas.ui.district_page", luton_path, tmp_path) as at:
        expected = similar_authorities("E06000032").neighbours
        tables = [d.value for d in at.dataframe]
        listed = [t for t in tables if "distance" in t.columns]
        assert len(listed) == 1 and listed[0].index.tolist() == expected["code"].tolist()
        compared = [t for t in tables if "England (average of authorities)" in t.columns]
        assert len(compared) == 1 and "Similar authorities (average)" in compared[0].columns
