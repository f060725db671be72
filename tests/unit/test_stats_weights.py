"""atlas.stats.weights: neighbours of synthetic boxes with gaps, against the geometry by hand and libpysal.graph."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from shapely.geometry import box

from atlas.errors import StatisticError
from atlas.stats import weights as weights_module
from atlas.stats.weights import neighbour_pairs, row_standardised_matrix, spatial_weights

SIZE = 100.0  # metres
X0, Y0 = 500_000.0, 200_000.0  # somewhere in England, British National Grid


def frame_of(boxes: list, codes: list[str], crs: str = "EPSG:27700") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=boxes, index=pd.Index(codes, name="code"), crs=crs)


def row(gaps: list[float]) -> gpd.GeoDataFrame:
    """Squares side by side along x, ``gaps[i]`` metres between square i and i + 1; codes A, B, C ..."""
    boxes, x = [], X0
    for i in range(len(gaps) + 1):
        boxes.append(box(x, Y0, x + SIZE, Y0 + SIZE))
        x += SIZE + (gaps[i] if i < len(gaps) else 0)
    return frame_of(boxes, [chr(ord("A") + i) for i in range(len(boxes))])


def grid(nx: int, ny: int, gap: float) -> gpd.GeoDataFrame:
    """``nx`` by ``ny`` squares ``gap`` metres apart, codes G00, G01 ... row by row from the bottom left."""
    boxes = [box(X0 + i * (SIZE + gap), Y0 + j * (SIZE + gap), X0 + i * (SIZE + gap) + SIZE,
                 Y0 + j * (SIZE + gap) + SIZE) for j in range(ny) for i in range(nx)]
    return frame_of(boxes, [f"G{k:02d}" for k in range(nx * ny)])


def corner_pairs(distances, angles_deg) -> gpd.GeoDataFrame:
    """Pairs of squares meeting corner to corner, the corners ``distance`` apart in the direction ``angle``.

    A buffer draws a quarter circle with 16 segments, so its reach is the full
    buffer at multiples of 5.625 degrees and less in between: the pairs probe
    the corners, where a plain distance test and buffered polygons disagree.
    """
    boxes, codes = [], []
    for n, (distance, angle) in enumerate((d, a) for d in distances for a in angles_deg):
        x, y = X0 + 1000 * n, Y0
        dx, dy = distance * np.cos(np.radians(angle)), distance * np.sin(np.radians(angle))
        boxes += [box(x, y, x + SIZE, y + SIZE), box(x + SIZE + dx, y + SIZE + dy, x + 2 * SIZE + dx, y + 2 * SIZE + dy)]
        codes += [f"P{n:03d}a", f"P{n:03d}b"]
    return frame_of(boxes, codes)


def libpysal_pairs(frame: gpd.GeoDataFrame, tolerance: float) -> set[frozenset]:
    """Neighbour pairs by libpysal.graph's buffered (fuzzy) contiguity, called directly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # libpysal's note on islands
        graph = Graph.build_fuzzy_contiguity(frame, buffer=tolerance)
    return {frozenset((a, b)) for (a, b), weight in graph.adjacency.items() if a != b and weight > 0}


def pairs_of(frame: gpd.GeoDataFrame, tolerance: float) -> set[frozenset]:
    left, right = neighbour_pairs(frame.geometry.to_numpy(), tolerance)
    assert (left < right).all()
    codes = frame.index.to_numpy()
    return {frozenset(p) for p in zip(codes[left], codes[right])}


def weight_pairs(weights) -> set[frozenset]:
    return {frozenset((a, b)) for a, ns in weights.neighbours.items() for b in ns}


# -- neighbours by hand ----------------------------------------------------------------------------------

def test_gaps_up_to_twice_the_tolerance_join_larger_ones_leave_islands():
    frame = row([0.5, 1.5, 2.5])  # A-B 0.5 m, B-C 1.5 m, C-D 2.5 m
    w = spatial_weights(frame, snap_tolerance_m=1.0)
    assert {k: sorted(v) for k, v in w.neighbours.items()} == {"A": ["B"], "B": ["A", "C"], "C": ["B"], "D": []}
    assert w.islands == ["D"]
    assert w.ids == ["A", "B", "C", "D"] and w.n == 4
    assert w.mean_neighbours == pytest.approx((1 + 2 + 1 + 0) / 4)


def test_a_smaller_tolerance_joins_smaller_gaps_only():
    w = spatial_weights(row([0.5, 1.5, 2.5]), snap_tolerance_m=0.5)  # reach 1 m
    assert {k: sorted(v) for k, v in w.neighbours.items()} == {"A": ["B"], "B": ["A"], "C": [], "D": []}
    assert w.islands == ["C", "D"]
    wide = spatial_weights(row([0.5, 1.5, 2.5]), snap_tolerance_m=1.5)  # reach 3 m
    assert wide.islands == []


def test_queen_corners_join_when_the_diagonal_gap_is_within_reach():
    # 0.5 m gaps: the diagonal gap is 0.5 * sqrt(2) = 0.71 m, within 2 m, so the centre has 8 neighbours
    queen = spatial_weights(grid(3, 3, gap=0.5))
    assert sorted(queen.neighbours["G04"]) == ["G00", "G01", "G02", "G03", "G05", "G06", "G07", "G08"]
    assert sorted(queen.neighbours["G00"]) == ["G01", "G03", "G04"]
    # 1.8 m gaps: edges join (1.8 < 2) but corners are 1.8 * sqrt(2) = 2.55 m apart, so only 4 neighbours
    rook_like = spatial_weights(grid(3, 3, gap=1.8))
    assert sorted(rook_like.neighbours["G04"]) == ["G01", "G03", "G05", "G07"]
    assert sorted(rook_like.neighbours["G00"]) == ["G01", "G03"]


def test_zero_tolerance_is_strict_queen_contiguity():
    touching = spatial_weights(grid(2, 2, gap=0.0), snap_tolerance_m=0)
    assert {k: sorted(v) for k, v in touching.neighbours.items()} == {
        "G00": ["G01", "G02", "G03"], "G01": ["G00", "G02", "G03"],
        "G02": ["G00", "G01", "G03"], "G03": ["G00", "G01", "G02"]}
    apart = spatial_weights(grid(2, 2, gap=0.01), snap_tolerance_m=0)
    assert apart.islands == ["G00", "G01", "G02", "G03"]
    assert "strict queen contiguity" in apart.describe()


def test_weights_are_row_standardised_and_islands_have_none():
    w = spatial_weights(row([0.5, 1.5, 2.5]))
    assert w.w.transform.upper() == "R"
    assert dict(zip(w.w.neighbors["B"], w.w.weights["B"])) == {"A": 0.5, "C": 0.5}
    assert w.w.weights["A"] == [1.0]
    dense = w.w.sparse.toarray()
    assert dense.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0, 0.0])
    assert w.snap_tolerance_m == 1.0


def test_describe_says_how_the_weights_were_made():
    text = spatial_weights(row([0.5, 1.5, 2.5])).describe()
    assert text == ("queen contiguity with a 1 m snapping tolerance (each polygon buffered by 1 m, so gaps up to "
                    "about 2 m join neighbours); row-standardised; 4 areas, 1.00 neighbours on average, "
                    "1 with no neighbours")


def test_subset_drops_areas_and_lists_the_new_islands():
    w = spatial_weights(row([0.5, 1.5, 2.5]))
    without_b = w.subset(["A", "C", "D", "not an area"])
    assert without_b.ids == ["A", "C", "D"]
    assert without_b.islands == ["A", "C", "D"]  # B was A's and C's only neighbour
    kept = w.subset(["C", "B", "A"])
    assert kept.ids == ["C", "B", "A"]
    assert {k: sorted(v) for k, v in kept.neighbours.items()} == {"C": ["B"], "B": ["A", "C"], "A": ["B"]}
    assert kept.w.sparse.toarray().sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])


def test_codes_are_text_in_the_frames_order():
    frame = row([0.5, 0.5]).set_axis([30, 10, 20])
    w = spatial_weights(frame)
    assert w.ids == ["30", "10", "20"]
    assert sorted(w.neighbours["10"]) == ["20", "30"]


def test_longitude_latitude_frames_are_reprojected_so_the_tolerance_is_metres():
    frame = row([1.5, 2.5])
    w = spatial_weights(frame.to_crs("EPSG:4326"), snap_tolerance_m=1.0)
    assert {k: sorted(v) for k, v in w.neighbours.items()} == {"A": ["B"], "B": ["A"], "C": []}


# -- refused input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf"), None])
def test_a_bad_tolerance_is_refused(tolerance):
    with pytest.raises(StatisticError, match="must be 0 or more metres"):
        spatial_weights(row([0.5]), tolerance)


def test_no_areas_repeated_codes_no_crs_and_missing_geometry_are_refused():
    with pytest.raises(StatisticError, match="No areas to build spatial weights for Testshire"):
        spatial_weights(row([0.5]).iloc[:0], name="Testshire")
    with pytest.raises(StatisticError, match="Area codes repeat in these areas: A"):
        spatial_weights(row([0.5, 0.5]).set_axis(["A", "A", "B"]))
    with pytest.raises(StatisticError, match="no coordinate reference system; expected EPSG:27700"):
        spatial_weights(gpd.GeoDataFrame(geometry=list(row([0.5]).geometry), index=["A", "B"]))
    frame = row([0.5, 0.5])
    frame.loc["B", "geometry"] = None
    with pytest.raises(StatisticError, match="1 area\\(s\\) of these areas have no geometry: B"):
        spatial_weights(frame)


# -- the same neighbours as libpysal.graph --------------------------------------------------------------

ANGLES = [45 + 5.625 * m / 2 for m in range(9)]  # buffer vertices (every 5.625 degrees) and half-way between
CLOSE_TO_TWICE = [1.99, 1.9965, 1.9978, 1.9985, 1.9995, 2.0005]


def test_neighbour_pairs_equal_libpysal_fuzzy_contiguity_at_the_corners():
    frame = corner_pairs(CLOSE_TO_TWICE, ANGLES)
    ours, reference = pairs_of(frame, 1.0), libpysal_pairs(frame, 1.0)
    assert ours == reference
    # the probes are sharp: some pairs under 2 m apart are not neighbours at a corner, all under 2 cos(pi/64) are
    assert 0 < len(reference) < len(CLOSE_TO_TWICE) * len(ANGLES)
    assert frozenset(("P000a", "P000b")) in reference  # 1.99 m apart
    assert not any(frozenset((f"P{n:03d}a", f"P{n:03d}b")) in reference
                   for n in range(len(ANGLES) * 5, len(ANGLES) * 6))  # 2.0005 m apart


@pytest.mark.parametrize("tolerance", [0.25, 1.0, 3.0])
def test_neighbour_pairs_equal_libpysal_on_a_grid_of_boxes_with_random_gaps(tolerance):
    rng = np.random.default_rng(int(tolerance * 100))
    nx, ny = 8, 7
    xs = X0 + np.concatenate([[0], np.cumsum(SIZE + rng.uniform(0, 2.6 * tolerance, nx - 1))])
    ys = Y0 + np.concatenate([[0], np.cumsum(SIZE + rng.uniform(0, 2.6 * tolerance, ny - 1))])
    boxes = [box(x, y, x + SIZE + rng.uniform(-0.3, 0.3), y + SIZE) for y in ys for x in xs]
    frame = frame_of(boxes, [f"R{k:02d}" for k in range(len(boxes))])
    reference = libpysal_pairs(frame, tolerance)
    assert pairs_of(frame, tolerance) == reference
    assert weight_pairs(spatial_weights(frame, tolerance)) == reference
    assert 0 < len(reference) < len(frame) * 8 / 2  # some gaps joined, some not


def test_both_routes_of_spatial_weights_give_libpysals_neighbours(monkeypatch):
    frame = pd.concat([grid(4, 3, gap=1.2), corner_pairs(CLOSE_TO_TWICE, ANGLES)])
    reference = libpysal_pairs(frame, 1.0)
    assert weight_pairs(spatial_weights(frame)) == reference
    monkeypatch.setattr(weights_module, "LIBPYSAL_LIMIT", 0)  # the STRtree route used above 2,000 areas
    fast = spatial_weights(frame)
    assert weight_pairs(fast) == reference
    assert sorted(fast.islands) == sorted(set(frame.index) - {c for pair in reference for c in pair})


def test_neighbour_pairs_need_a_positive_tolerance():
    with pytest.raises(StatisticError, match="above 0 m"):
        neighbour_pairs(row([0.5]).geometry.to_numpy(), 0)


def test_row_standardised_matrix_of_a_chain():
    # A-B, B-C, C-D: the ends have one neighbour (weight 1), the middle two (weights 1/2)
    matrix = row_standardised_matrix(4, np.array([0, 1, 2]), np.array([1, 2, 3])).toarray()
    assert matrix == pytest.approx(np.array([[0, 1, 0, 0], [0.5, 0, 0.5, 0], [0, 0.5, 0, 0.5], [0, 0, 1, 0]]))
