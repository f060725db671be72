"""The map page's further analyses (issue 17): hot spots, bivariate map, decile change, panel readings, funnel."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from atlas import change
from atlas.analysis.analyses import hot_spot_summary
from tests.integration.test_app import app, app_out, choose, payload, table  # noqa: F401 (fixtures and helpers)
from tests.integration.test_change import expected_counts  # noqa: F401 (fixture: the independent count)


@pytest.fixture
def lsoa21(app):  # noqa: F811
    choose(app, "geography", "lsoa21")
    choose(app, "layer", "income25_score")
    return app


def _drawn(p: dict) -> Counter:
    return Counter(p["lisa"]["labels"][c] for c in p["lisa"]["cls"])


def _bins(p: dict) -> Counter:
    """Areas per hot-spot bin (the legend labels add which end is worse: "...: high values (worse)")."""
    return Counter(p["lisa"]["labels"][c].split(":")[0] for c in p["lisa"]["cls"])


def test_hot_spots_are_a_map_layer_with_a_reading_and_a_table_column(lsoa21, luton):
    choose(lsoa21, "category", "hotspots")
    drawn = payload(lsoa21)
    assert drawn["lisa"]["title"] == "Hot and cold spots (Gi*)"
    expected = hot_spot_summary(luton, "income25_score", "lsoa21")
    assert _bins(drawn) == Counter({k: v for k, v in expected["counts"].items() if v})
    assert "Hot spot (99% confidence): high values (worse)" in drawn["lisa"]["labels"]
    assert "Getis-Ord Gi*" in drawn["lisa"]["caption"]
    captions = " ".join(c.value for c in lsoa21.caption)
    assert "hot spots" in captions
    column = table(lsoa21)["Hot and cold spots (Gi*)"]
    assert Counter(column.astype(str)) == _drawn(drawn)


def test_false_discovery_rate_toggle_recuts_hot_spots_and_lisa(lsoa21, luton):
    choose(lsoa21, "category", "hotspots")
    plain_cut = _bins(payload(lsoa21))
    lsoa21.toggle(key="fdr").set_value(True).run()
    assert not lsoa21.exception
    drawn = payload(lsoa21)
    expected = hot_spot_summary(luton, "income25_score", "lsoa21", fdr=True)
    assert _bins(drawn) == Counter({k: v for k, v in expected["counts"].items() if v})
    assert "false-discovery-rate" in drawn["lisa"]["caption"]
    significant = sum(v for k, v in plain_cut.items() if k != "Not significant")
    assert sum(v for k, v in _bins(drawn).items() if k != "Not significant") <= significant
    choose(lsoa21, "category", "lisa")
    assert "false-discovery-rate" in payload(lsoa21)["lisa"]["caption"]


def test_bivariate_map_has_nine_classes_and_its_reading(lsoa21):
    choose(lsoa21, "category", "bivariate")
    choose(lsoa21, "bivariate_partner", "c21_bad_health_pct")
    drawn = payload(lsoa21)
    assert len(drawn["lisa"]["labels"]) == 10  # 3 x 3 and "No data"
    assert sum(_drawn(drawn).values()) == 125
    assert drawn["lisa"]["labels"][8] == "Income 2025: high, Residents in bad or very bad health, Census 2021: high"
    assert "Bivariate Moran" in " ".join(c.value for c in lsoa21.caption)
    # the 3x3 legend: inline SVG (x = the map's indicator, y = the second) with a table of the nine classes
    legend = next(h.proto.body for h in lsoa21.get("html") if "bivariate-key" in h.proto.body)
    assert legend.count("<rect") == 9 and 'role="img"' in legend and "<desc" in legend
    assert "Income 2025 →" in legend and "↑ Residents in bad or very bad health, Census 2021" in legend
    rows = re.findall(r"<tr><td><span[^>]*></span></td><td>(\w+)</td><td>(\w+)</td><td>(\d+)</td></tr>", legend)
    drawn_counts = _drawn(drawn)
    for x, y, n in rows:
        label = f"Income 2025: {x}, Residents in bad or very bad health, Census 2021: {y}"
        assert drawn_counts.get(label, 0) == int(n), label
    assert len(rows) == 9 and sum(int(n) for _, _, n in rows) == 125


def test_decile_change_counts_on_the_map_equal_the_independent_count(lsoa21, expected_counts):  # noqa: F811
    choose(lsoa21, "category", "change")
    drawn = _drawn(payload(lsoa21))
    assert drawn[change.DOWN] == expected_counts["down"]
    assert drawn[change.SAME] == expected_counts["same"]
    assert drawn[change.UP] == expected_counts["up"]
    assert "relative" in " ".join(c.value for c in lsoa21.caption)


def test_smoothed_rates_reading_shows_for_a_layer_with_counts(lsoa21):
    choose(lsoa21, "theme", "Wider determinants (Census 2021)")
    choose(lsoa21, "layer", "c21_bad_health_pct")
    assert "smoothing pulls each area" in " ".join(c.value for c in lsoa21.caption)
    assert any(e.label == "Funnel plot of these areas" for e in lsoa21.expander)
    funnels = [d.value for d in lsoa21.dataframe if "position" in d.value.columns]
    assert any(len(f) == 125 for f in funnels)  # the areas' funnel beside the practices'



def test_practice_funnel_plot_is_on_the_page_with_its_table(app):  # noqa: F811
    labels = [e.label for e in app.expander]
    assert any(label.startswith("Funnel plot: GP practices") for label in labels)
    charts = app.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert len(spec["layer"]) == 2  # control limits and practices
    funnel_tables = [d.value for d in app.dataframe if "position" in d.value.columns]
    assert len(funnel_tables) == 1 and len(funnel_tables[0]) == 25


def test_decile_change_of_a_domain_and_ward_shares(lsoa21, luton, source_dir):  # noqa: F811
    choose(lsoa21, "category", "change")
    choose(lsoa21, "change_domain", "income")
    drawn = payload(lsoa21)
    assert drawn["lisa"]["title"] == "Income decile change since 2019"
    expected = change.movement_counts(change.decile_change(luton, "income", source_dir))
    assert _drawn(drawn) == Counter({k: v for k, v in expected.items() if v})
    choose(lsoa21, "geography", "ward2023")
    shares = [d.value for d in lsoa21.dataframe if change.DOWN in d.value.columns]
    assert len(shares) == 1 and len(shares[0]) == 20


def test_smoothed_rates_can_be_mapped_as_a_labelled_estimate(lsoa21, luton):
    from esda.smoothing import Empirical_Bayes
    choose(lsoa21, "theme", "Wider determinants (Census 2021)")
    choose(lsoa21, "layer", "c21_bad_health_pct")
    lsoa21.toggle(key="smoothed").set_value(True).run()
    drawn = payload(lsoa21)
    assert drawn["title"].endswith("empirical-Bayes smoothed estimate")
    frame = luton.table("lsoa21")
    e, b = frame["c21_bad_health_pct_numerator"], frame["c21_bad_health_pct_denominator"]
    expected = pd.Series(np.asarray(Empirical_Bayes(e.to_numpy(float), b.to_numpy(float)).r).ravel() * 100,
                         index=frame.index)
    shown = table(lsoa21).set_index("Area code")
    column = next(c for c in shown.columns if "smoothed" in c)
    assert np.allclose(shown[column].reindex(frame.index), expected)
