"""National Moran's I over England's 32,844 LSOAs (2011): the national path against libpysal and esda directly."""

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

SCORES = ("deprivation/iod2019_lsoa11/third_party/samuel-book_stroke_unit_demographics/"
          "File_7a_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv.gz")


@pytest.fixture(scope="module")
def run(source_dir, tmp_path_factory):
    return england_statistics(source_dir, permutations=99, cache_dir=tmp_path_factory.mktemp("cache"))


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


def test_a_layer_not_on_lsoa_2011_is_refused(source_dir):
    with pytest.raises(StatisticError, match="published on lsoa21"):
        england_statistics(source_dir, layer="c21_bad_health_pct")
