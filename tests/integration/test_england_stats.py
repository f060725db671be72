"""National Moran's I, LISA and Gi* over England's 32,844 LSOAs (2011): the national path against libpysal and
esda called directly."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from atlas.analysis.england import england_statistics
from atlas.analysis.national import lsoa11_polygons
from atlas.errors import StatisticError

pytestmark = pytest.mark.slow
PERMUTATIONS = 99

SCORES = ("deprivation/iod2019_lsoa11/third_party/samuel-book_stroke_unit_demographics/"
          "File_7a_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv.gz")


@pytest.fixture(scope="module")
def run(source_dir, tmp_path_factory):
    return england_statistics(source_dir, permutations=PERMUTATIONS, cache_dir=tmp_path_factory.mktemp("cache"),
                              with_hotspots=True)


def test_every_lsoa_of_england_is_one_graph(run):
    assert len(run.weights.ids) == 32844 and run.moran.n == 32844
    assert run.lisa is not None and len(run.lisa) == 32844


def test_national_moran_equals_libpysal_and_esda_called_directly(run, source_dir):
    import esda
    from libpysal.graph import Graph

    raw = pd.read_csv(source_dir / SCORES, usecols=["LSOA Code (2011)", "Income Domain Score"])
    raw = raw[raw["LSOA Code (2011)"].str.startswith("E01")].set_index("LSOA Code (2011)")["Income Domain Score"]
    polygon_codes, polygons = lsoa11_polygons(source_dir, use_cache=False)
    gdf = gpd.GeoDataFrame(geometry=polygons, index=pd.Index(polygon_codes.astype(str)), crs="EPSG:27700")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = Graph.build_fuzzy_contiguity(gdf, buffer=1.0)  # libpysal's own buffered contiguity, 1 m
        w = graph.to_W()
        w.transform = "r"
        y = raw.reindex(w.id_order).to_numpy(dtype=float)
        direct = esda.Moran(y, w, transformation="r", permutations=0)
    assert np.isfinite(y).all() and len(y) == 32844
    assert run.moran.I == pytest.approx(direct.I, rel=1e-12)
    assert 0.5 < run.moran.I < 0.6  # strong clustering of income deprivation, as the English Atlas finds
    pairs = {(a, b) for a, nbrs in run.weights.neighbours.items() for b in nbrs}
    direct_pairs = {(str(a), str(b)) for a, b in graph.adjacency.index if a != b}
    assert pairs == direct_pairs


def test_national_lisa_local_i_equals_esda(run):
    import esda

    w = run.weights.subset(sorted(run.weights.ids))
    y = run.values.reindex(w.ids).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = esda.Moran_Local(y, w.w, transformation="r", permutations=0)
    ours = run.lisa["local_i"].reindex(w.ids).to_numpy()
    island = np.isin(w.ids, run.weights.islands)  # no neighbours: the atlas gives no local I (esda gives 0)
    assert island.sum() == len(run.weights.islands) == 1 and np.isnan(ours[island]).all()
    np.testing.assert_allclose(ours[~island], local.Is[~island], rtol=1e-10, atol=1e-12)
    assert (run.lisa["cluster"] == "No neighbours").sum() == 1


def test_national_gi_star_equals_esda_called_directly(run):
    """Gi* (star=True, row-standardised) of every LSOA: G, z and the permutation p-values with the same seed are
    esda.G_Local's on the same weights; the bins follow from them at 0.01/0.05/0.10."""
    import esda

    w = run.weights.subset(sorted(run.weights.ids))
    y = run.values.reindex(w.ids).to_numpy()
    seed = run.hotspots.attrs["seed"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(seed)
        direct = esda.G_Local(y, w.w, transform="R", permutations=PERMUTATIONS, star=True, seed=seed)
    spots = run.hotspots.reindex(w.ids)
    island = np.isin(w.ids, run.weights.islands)
    assert len(spots) == 32844 and run.hotspots.attrs["permutations"] == PERMUTATIONS
    np.testing.assert_allclose(spots["gi"].to_numpy(), direct.Gs, rtol=1e-10)
    np.testing.assert_allclose(spots["z"].to_numpy()[~island], direct.Zs[~island], rtol=1e-10)
    # esda gives p as float32; its count of permutations at least as extreme is p * (permutations + 1)
    count = np.round(direct.p_sim.astype(float) * (PERMUTATIONS + 1))
    p = count / (PERMUTATIONS + 1)
    np.testing.assert_array_equal(spots["p_sim"].to_numpy()[~island], p[~island])
    np.testing.assert_allclose(spots["p_sim"].to_numpy()[~island], direct.p_sim[~island], atol=1e-7)
    expected = np.full(len(y), "Not significant", dtype=object)  # the strongest level each p-value reaches
    for level, cut in ((90, 0.10), (95, 0.05), (99, 0.01)):
        hit = (p < cut) & ~island
        expected[hit & (direct.Zs > 0)] = f"Hot spot ({level}% confidence)"
        expected[hit & (direct.Zs < 0)] = f"Cold spot ({level}% confidence)"
    expected[island] = "No neighbours"
    np.testing.assert_array_equal(spots["bin"].to_numpy(), expected)
    hot = (p < 0.05) & (direct.Zs > 0) & ~island
    cold = (p < 0.05) & (direct.Zs < 0) & ~island
    assert hot.sum() > 1000 and cold.sum() > 1000  # income deprivation clusters strongly in England


def test_a_layer_not_on_lsoa_2011_is_refused(source_dir):
    with pytest.raises(StatisticError, match="published on lsoa21"):
        england_statistics(source_dir, layer="c21_bad_health_pct")
