"""Neighbourhood profiles (issue 6): the same figures as the app, PCN footprints, England, HTML/PDF/CSV, errors."""

from __future__ import annotations

import dataclasses
import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from atlas import profiles
from atlas.cli import main
from atlas.errors import AtlasError, UnknownAreaError

BISCOT = "E05014737"  # ward from May 2023
SOUTH_OLD = "E05002208"  # South, ward to May 2023
HATTERS = "U79932"  # Hatters Health PCN


@pytest.fixture(scope="module")
def biscot(luton):
    return profiles.build_profile(luton, "Biscot")


@pytest.fixture(scope="module")
def hatters(luton):
    """Hatters Health PCN with the nearest-practice footprint (the patient-weighted one: test_catchments.py)."""
    return profiles.build_profile(luton, "Hatters Health PCN", footprint="nearest")


def iod2019(source_dir) -> pd.DataFrame:
    """IoD2019 income scores and mid-2015 populations of every English LSOA, read here independently."""
    base = source_dir / "deprivation" / "iod2019_lsoa11"
    scores = pd.read_csv(base / "third_party" / "samuel-book_stroke_unit_demographics" /
                         "File_7a_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv.gz")
    people = pd.read_csv(base / "File_6_-_IoD2019_Population_Denominators.csv.gz", thousands=",",
                         encoding="utf-8-sig")
    frame = scores.merge(people, left_on="LSOA Code (2011)", right_on="LSOA code (2011)")
    return frame[frame["LSOA Code (2011)"].str.startswith("E01")]


# -- the same figures as the app's table ------------------------------------------------------------------
@pytest.mark.parametrize("area, geography, code", [("Biscot", "ward2023", BISCOT), (SOUTH_OLD, "ward2013", SOUTH_OLD)])
def test_ward_profile_shows_the_apps_figures(luton, area, geography, code):
    profile = profiles.build_profile(luton, area)
    assert (profile.area.kind, profile.area.code) == (geography, code)
    row = luton.table(geography).loc[code]
    indicators = profile.table("indicators").data.set_index("layer")
    expected = luton.layers_on(geography)
    expected = expected[~((expected["theme"] == "Population") & expected["kind"].isin(["population", "count"]))]
    coverage = expected["layer"].str.startswith("coverage_")  # said in the notes instead (issue 16 item 4)
    assert sorted(indicators.index) == sorted(expected.loc[~coverage, "layer"])  # every indicator of the ward
    assert any(note.startswith("Figures from LSOA (2011) areas: the LSOA (2011) areas placed in")
               for note in profile.table("indicators").notes)
    for layer, figures in indicators.iterrows():
        assert figures["area"] == pytest.approx(row[layer], nan_ok=True), layer
    shown = profile.table("indicators").shown.set_index("Indicator")
    webmap = pytest.importorskip("atlas.webmap")
    for layer in ["income19_score", "imd25_score", "c21_overcrowded_pct", "imd19_decile_most_deprived_20"]:
        view = webmap.map_view(luton, layer, geography)
        meta = luton.layer(layer, geography)
        text = shown.loc[meta["label"], profile.area.name]
        assert text == view.value_text(row[layer])  # the app's tooltip and table text
    population = profile.table("population").data.set_index("layer")
    assert population.loc["iod19_population", "area"] == row["iod19_population"]
    assert population.loc["iod19_children", "area_share"] == pytest.approx(
        row["iod19_children"] / row["iod19_population"] * 100)


def test_ward_deprivation_mix_is_the_atlas_decile_shares(luton, biscot):
    mix = biscot.table("deprivation_imd19_decile").data.set_index("decile")
    shares = luton.decile_shares
    mine = shares[(shares["geography"] == "ward2023") & (shares["code"] == BISCOT) & (shares["layer"] == "imd19_decile")]
    for row in mine.itertuples():
        assert mix.loc[row.decile, "area_residents"] == row.population
        assert mix.loc[row.decile, "area_lsoas"] == row.areas
    assert mix["area_share"].sum() == pytest.approx(100)
    lsoas = luton.table("lsoa11")
    counts = lsoas["imd19_decile"].value_counts()
    for decile in range(1, 11):  # the authority's LSOA shares from the LSOA table itself
        assert mix.loc[decile, "authority_lsoa_share"] == pytest.approx(counts.get(decile, 0) / len(lsoas) * 100)
        assert mix.loc[decile, "england_lsoa_share"] == pytest.approx(10, abs=0.01)  # by construction
    assert mix["england_share"].sum() == pytest.approx(100)


def test_ward_and_msoa_lsoas_are_those_the_build_aggregated(luton):
    shares = luton.decile_shares
    for geography, lsoas, layer in [("ward2023", "lsoa11", "imd19_decile"), ("ward2023", "lsoa21", "imd25_decile"),
                                    ("ward2013", "lsoa11", "imd19_decile"), ("msoa11", "lsoa11", "imd19_decile")]:
        counts = shares[(shares["geography"] == geography) & (shares["layer"] == layer)].groupby("code")["areas"].sum()
        for code, n in counts.items():
            assert len(profiles.find_area(luton, code, geography=geography).members[lsoas]) == n, (geography, code)


def test_authority_and_england_figures(luton, biscot, source_dir):
    figures = biscot.table("indicators").data.set_index("layer")
    lsoas = luton.table("lsoa11")
    luton_mean = np.average(lsoas["income19_score"], weights=lsoas["iod19_population"])
    assert figures.loc["income19_score", "authority"] == pytest.approx(luton_mean)
    england = iod2019(source_dir)
    england_mean = np.average(england["Income Domain Score"],
                              weights=england["Total population: mid 2015 (excluding prisoners)"])
    assert figures.loc["income19_score", "england"] == pytest.approx(england_mean)
    assert figures.loc["income19_score", "england"] == pytest.approx(0.1286, abs=1e-4)
    assert np.isnan(figures.loc["gp_practices_count", "england"])  # counts have no England figure
    assert figures.loc["gp_practices_count", "authority"] == len(luton.points["gp_practices"])


def test_without_the_national_files_england_is_no_data(luton, tmp_path):
    profile = profiles.build_profile(luton, "Biscot", source_dir=tmp_path / "absent")
    assert any(note.startswith("England's figures are not available") for note in profile.notes)
    mix = profile.table("deprivation_imd19_decile")
    assert mix.data["england_share"].isna().all()
    assert mix.intro.endswith(", England no data).")  # never "England 0.0%"


def test_msoa_profile_has_life_expectancy_with_comparisons(luton):
    area = profiles.find_area(luton, "E02003260", geography="msoa11")  # Luton 003: no published value for women
    profile = profiles.build_profile(luton, area)
    assert profile.area.kind == "msoa11"
    assert profiles.find_area(luton, "E02003260").kind == "msoa21"  # the same code in 2021: the newer by default
    life = profile.table("life_expectancy").data.set_index("msoa")
    table = luton.table("msoa11")
    assert np.isnan(life.loc["E02003260", "le_female"])  # "no data", never zero
    assert life.loc["E02003260", "le_male"] == pytest.approx(table.loc["E02003260", "le_male"])
    assert life.loc["E02003260", "le_male_vs_england"] == table.loc["E02003260", "le_male_vs_england"]
    assert "no data" in profile.table("life_expectancy").shown.iloc[0].tolist()
    gap = profile.table("life_expectancy_gap").data.set_index("sex")
    assert gap.loc["women", "published_most_deprived"] == 80.2 and gap.loc["men", "published_least_deprived"] == 79.4


# -- Primary Care Networks ---------------------------------------------------------------------------------
def test_pcn_profile_lists_exactly_the_networks_practices(luton, hatters, source_dir):
    practices = luton.points["gp_practices"]
    listed = hatters.table("assets").data
    listed = set(listed.loc[listed["type"] == "GP practices", "code"])
    assert listed == set(practices.index[practices["pcn_code"] == HATTERS])
    structures = pd.read_csv(source_dir / "assets" / "qof_structures_2023_2024.csv.gz")
    official = set(structures.loc[structures["PCN_ODS_CODE"] == HATTERS, "PRACTICE_CODE"]) & set(practices.index)
    assert listed == official and len(listed) == 6
    assert hatters.area.title == "Hatters Health PCN (Primary Care Network, U79932)"
    assert "nearest GP practice" in hatters.area.rule and hatters.area.rule in hatters.notes


def test_pcn_footprint_is_the_lsoas_nearest_to_its_practices(luton, hatters):
    practices = luton.points["gp_practices"]
    lsoas = luton.table("lsoa21")
    points = lsoas.geometry.representative_point()
    xy = np.column_stack([practices.geometry.x, practices.geometry.y])
    distance = np.hypot(points.x.to_numpy()[:, None] - xy[:, 0], points.y.to_numpy()[:, None] - xy[:, 1])
    nearest = practices["pcn_code"].to_numpy()[distance.argmin(axis=1)]
    assert hatters.area.members["lsoa21"] == sorted(lsoas.index[nearest == HATTERS])


def test_pcn_indicators_sum_the_networks_registers(luton, hatters):
    network = hatters.table("network_indicators").data.set_index("layer")
    practices = luton.points["gp_practices"]
    mine = practices[practices["pcn_code"] == HATTERS]
    expected = mine["qof_ob_numerator"].sum() / mine["qof_ob_denominator"].sum() * 100
    assert network.loc["qof_ob", "area"] == pytest.approx(expected)
    assert network.loc["qof_ob", "authority"] == pytest.approx(20822 / 201624 * 100)  # issue 5's Luton total
    assert network.loc["qof_ob", "vs_england"] in ("Better", "Similar", "Worse")


def test_pcn_footprint_from_a_lookup_file(luton, tmp_path):
    lookup = tmp_path / "lookup.csv"
    pd.DataFrame({"LSOA21CD": ["E01015698", "E01015700", "E01000001"],
                  "PCN": ["Hatters Health PCN", "hatters health pcn", "Hatters Health PCN"]}).to_csv(lookup, index=False)
    area = profiles.find_area(luton, "U79932", pcn_lookup=lookup)
    assert area.members["lsoa21"] == ["E01015698", "E01015700"]
    assert "lookup.csv" in area.rule and "1 outside it left out" in area.rule
    pd.DataFrame({"code": ["x"], "pcn": ["y"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(AtlasError, match="no column of LSOA codes"):
        profiles.find_area(luton, "U79932", pcn_lookup=tmp_path / "bad.csv")


# -- a set of LSOAs ----------------------------------------------------------------------------------------
def test_lsoa_set_aggregates_as_the_build_does(luton):
    codes = ["E01015698", "E01015700", "E01015701"]
    profile = profiles.build_profile(luton, ", ".join(codes))
    figures = profile.table("indicators").data.set_index("layer")
    lsoa11, lsoa21 = luton.table("lsoa11").loc[codes], luton.table("lsoa21").loc[codes]
    assert figures.loc["income19_score", "area"] == pytest.approx(
        np.average(lsoa11["income19_score"], weights=lsoa11["iod19_population"]))
    assert figures.loc["c21_overcrowded_pct", "area"] == pytest.approx(
        lsoa21["c21_overcrowded_pct_numerator"].sum() / lsoa21["c21_overcrowded_pct_denominator"].sum() * 100)
    most = lsoa11.loc[lsoa11["imd19_decile"] <= 2, "iod19_population"].sum() / lsoa11["iod19_population"].sum()
    assert figures.loc["imd19_decile_most_deprived_20", "area"] == pytest.approx(most * 100)
    assert profile.table("population").data.set_index("layer").loc["iod19_population", "area"] == \
        lsoa11["iod19_population"].sum()
    assert profile.area.members["lsoa11"] == sorted(codes)


# -- errors ------------------------------------------------------------------------------------------------
def test_unknown_areas_and_empty_selections(luton, tmp_path):
    with pytest.raises(UnknownAreaError, match=r"Accepted: a ward code .*Near matches: Biscot"):
        profiles.build_profile(luton, "Bisct")
    with pytest.raises(UnknownAreaError, match="Empty selection"):
        profiles.build_profile(luton, " , ")
    with pytest.raises(UnknownAreaError, match="Empty selection"):
        profiles.build_profile(luton, [])
    with pytest.raises(UnknownAreaError, match="not LSOAs of Luton: E01999999"):
        profiles.build_profile(luton, "E01015698, E01999999")
    with pytest.raises(UnknownAreaError, match="must be LSOA codes"):
        profiles.build_profile(luton, "E01015698 E05014737")


def test_bad_output_paths_leave_nothing(biscot, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out in (blocker / "p.pdf", blocker / "p.html", tmp_path / "p.docx"):
        with pytest.raises(AtlasError, match="Cannot write"):
            profiles.write_profile(biscot, out)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


# -- outputs -----------------------------------------------------------------------------------------------
class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))


def test_html_is_self_contained_accessible_and_escaped(luton):
    meta = dict(luton.layer("income19_score", "ward2023"), label="<script>alert(1)</script>", units="%")
    values = pd.DataFrame({"value": luton.values("income19_score", "ward2023") * 100})
    hostile = luton.with_layer("ward2023", "hostile", values, meta)
    area = dataclasses.replace(profiles.find_area(hostile, BISCOT), name='Biscot <img src=x onerror="alert(2)">')
    page = profiles.render_html(profiles.build_profile(hostile, area))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "Biscot &lt;img src=x" in page
    parsed = _Page()
    parsed.feed(page)
    sources = [a.get("src") or a.get("href") or "" for _, a in parsed.attrs]
    assert not [s for s in sources if s and not s.startswith(("data:", "#"))]  # no CDN, no external file
    assert parsed.tags.count("h1") == 1 and parsed.tags.count("h2") >= 6
    assert parsed.tags.count("table") == parsed.tags.count("caption") > 0
    images = [a for tag, a in parsed.attrs if tag == "img"]
    assert len(images) == 2 and all(len(image["alt"]) > 40 for image in images)  # the map and the spine chart
    assert ('<html lang="en-GB">' in page) and 'scope="col"' in page and 'scope="row"' in page


def test_pdf_text_and_csv(biscot, tmp_path):
    import pypdf

    out = profiles.write_profile(biscot, tmp_path / "biscot.pdf")
    reader = pypdf.PdfReader(out)
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "Neighbourhood profile: Biscot" in text
    assert "Contains OS data © Crown copyright and database right 2025" in text
    income = biscot.table("indicators").shown.set_index("Indicator").filter(like="Income deprivation 2019", axis=0)
    assert income.iloc[0]["Biscot"] in text
    assert reader.metadata.title == "Neighbourhood profile: Biscot"
    csv = pd.read_csv(io.StringIO(profiles.render_csv(biscot)))
    assert set(csv["section"]) == {t.key for t in biscot.tables}
    rows = csv[(csv["section"] == "indicators")].set_index("layer")
    assert rows.loc["income19_score", "area"] == pytest.approx(biscot.table("indicators").data.set_index("layer")
                                                               .loc["income19_score", "area"])
    assert (csv["area_code"] == BISCOT).all()


def test_command_line(luton_path, tmp_path, capsys):
    folder = str(luton_path.parent)
    out = tmp_path / "south.html"
    assert main(["profile", "--la", "E06000032", "--atlas-dir", folder, "--area", "South", "--out", str(out)]) == 0
    assert "Wrote the profile of South" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["profile", "--la", "E06000032", "--atlas-dir", folder, "--area", "Nowhere",
                 "--out", str(tmp_path / "x.pdf")]) == 2
    assert "No area 'Nowhere' in the Luton atlas" in capsys.readouterr().err
    assert main(["profile", "--la", "E06000032", "--atlas-dir", folder, "--area", "South",
                 "--out", str(out / "x.pdf")]) == 2
    assert "Cannot write" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["south.html"]


def test_spine_chart_places_the_ward_in_the_spread_of_luton_s_wards(biscot, luton):
    spine = biscot.table("spine")
    assert spine.image and spine.image.startswith(b"\x89PNG") and len(spine.image_alt) > 40
    row = spine.data.set_index("indicator").loc["IMD 2019 score"]
    wards = luton.values("imd19_score", "ward2023").dropna()
    assert row["area"] == pytest.approx(wards["E05014737"])
    assert (row["lowest"], row["highest"]) == (pytest.approx(wards.min()), pytest.approx(wards.max()))
    assert row["q25"] == pytest.approx(np.percentile(wards, 25)) and row["q75"] == pytest.approx(np.percentile(wards, 75))
    assert row["areas"] == len(wards) == 20
    # counts are not benchmarked against the district's total
    assert np.isnan(spine.data.set_index("indicator").loc["GP practices in the ward", "authority"])


def test_spine_chart_is_in_the_pdf(biscot, tmp_path):
    import pypdf

    out = profiles.write_profile(biscot, tmp_path / "spine.pdf")
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(out).pages).split())
    assert "Spine chart" in text and "spread of Luton" in text


def test_pcn_profile_has_a_funnel_plot_with_its_practices_highlighted(luton):
    from atlas.stats.funnel import proportion_limits
    profile = profiles.build_profile(luton, "U51229")
    funnel = profile.table("network_funnel")
    assert funnel.image.startswith(b"\x89PNG") and "Medics PCN" in funnel.image_alt
    practices = luton.points["gp_practices"]
    ours = set(practices.index[practices["pcn_code"] == "U51229"])
    assert set(funnel.data.loc[funnel.data["highlight"], "code"]) == ours
    assert len(funnel.data) == len(practices)
    # each position against the district's pooled prevalence, worked out with the funnel formula
    pooled = practices["qof_ob_numerator"].sum() / practices["qof_ob_denominator"].sum()
    for row in funnel.data.itertuples():
        lower, upper = proportion_limits(pooled, row.denominator, 0.95)
        assert (row.position == "Within 95% limits") == (lower <= row.numerator / row.denominator <= upper)


def test_profiles_compare_the_authority_with_its_similar_authorities(biscot, source_dir):
    from atlas.similar import similar_authorities
    table = biscot.table("similar_authorities")
    expected = similar_authorities("E06000032", source_dir).neighbours
    assert expected["name"].iloc[0] in table.intro and expected["name"].iloc[-1] in table.intro
    assert list(table.data.columns) == ["Input", "Luton", "Similar authorities (average)",
                                        "England (average of authorities)"]


def test_spine_chart_shows_england_s_spread_worked_out_from_the_raw_files(luton, source_dir):
    """England's lowest, 25th and 75th percentile and highest, from the national files read here with pandas."""
    profile = profiles.build_profile(luton, "U51229")  # a network: its rows are on the LSOA geographies
    spine = profile.table("spine")
    rows = spine.data.set_index("indicator")
    imd = pd.read_csv(source_dir / "deprivation/iod2019_lsoa11/third_party/nhs-r-community_NHSRpopulation/imd.csv.gz",
                      usecols=["lsoa_code", "imd_score"])
    imd = imd.loc[imd["lsoa_code"].str.startswith("E01"), "imd_score"].astype(float)
    census = pd.read_csv(source_dir / "population/census2021_lsoa21/census2021-ts037-lsoa.csv.gz")
    census = census[census["geography code"].str.startswith("E01")]
    bad = (census["General health: Bad health"] + census["General health: Very bad health"]) \
        / census["General health: Total: All usual residents"] * 100
    for indicator, values, areas in (("IMD 2019 score", imd, 32844),
                                     ("Residents in bad or very bad health, Census 2021 (%)", bad, 33755)):
        row = rows.loc[indicator]
        assert row["england_areas"] == len(values) == areas
        expected = np.percentile(values.to_numpy(), [0, 25, 75, 100])
        got = [row["england_lowest"], row["england_q25"], row["england_q75"], row["england_highest"]]
        assert got == pytest.approx(expected), indicator
        assert f"England's {areas:,} areas" in row["benchmark"]
    # an estimate the atlas computes for its own areas only says England's spread is not available
    assert rows.loc["Obesity: estimated prevalence by area (QOF, aged 18+)", "england_areas"] == 0
    assert "only (no national figures by area)" in rows.loc["Obesity: estimated prevalence by area (QOF, aged 18+)",
                                                         "benchmark"]
    assert "England's areas: lowest · 25th · 75th percentile · highest" in spine.shown.columns
    assert "Benchmark" in spine.shown.columns and "England's areas" in spine.image_alt


def test_ward_spine_rows_say_england_s_spread_is_not_available_on_wards(biscot):
    rows = biscot.table("spine").data
    assert (rows["england_areas"] == 0).all()
    assert rows["benchmark"].str.contains("Luton's 20 areas").any()
