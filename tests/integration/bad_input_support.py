"""Small fixtures for the bad-input corpus (tests/test_bad_input*.py): a tiny atlas made here, and checks.

:func:`tiny_atlas` writes an atlas of eight made-up square LSOAs (codes
``E01099001`` ... ``E01099008``, which no real area has) for Luton's district
code, with one layer, into a folder; :func:`snapshot` records every file of a
folder (path, size, modification time and digest) so a test can assert that a
refused command changed nothing; :func:`assert_opens` checks that the earlier
atlas still opens with the same layers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import store
from atlas.model import LAYER_COLUMNS, Atlas
from atlas.report import BuildReport

LUTON = "E06000032"
CODES = [f"E01099{n:03d}" for n in range(1, 9)]
#: The folder given as ``--source``: it does not exist, so nothing is read from the official files.
NO_SOURCE = "no-source-directory"


def tiny_atlas(folder: Path, codes: list[str] = CODES) -> Path:
    """Write the tiny atlas into ``folder`` (made if needed); return its GeoPackage.

    ``codes`` are its eight LSOA (2021) codes: made-up ones by default, or real ones (area sets need them).
    """
    squares = [shapely.box(510_000 + 500 * (i % 4), 220_000 + 500 * (i // 4), 510_500 + 500 * (i % 4),
                           220_500 + 500 * (i // 4)) for i in range(len(codes))]
    frame = gpd.GeoDataFrame({"name": [f"Area {i + 1}" for i in range(len(codes))]}, geometry=squares,
                             crs="EPSG:27700", index=pd.Index(codes, name="code"))
    report = BuildReport(LUTON, "Luton", geography_order=["lsoa21"], geographies={
        "lsoa21": {"label": "LSOA (2021)", "level": "lsoa", "status": "built"}})
    outline = gpd.GeoDataFrame({"name": ["Luton"]}, geometry=[shapely.union_all(squares)], crs="EPSG:27700",
                               index=pd.Index([LUTON], name="code"))
    shares = pd.DataFrame({"geography": pd.Series(dtype=str), "code": pd.Series(dtype=str),
                           "layer": pd.Series(dtype=str), "decile": pd.Series(dtype=int),
                           "population": pd.Series(dtype=float), "areas": pd.Series(dtype=int),
                           "share": pd.Series(dtype=float)})
    built = Atlas(LUTON, "Luton", {"lsoa21": frame}, pd.DataFrame(columns=LAYER_COLUMNS), shares, report, outline,
                  None, {"lsoa21": "LSOA (2021)"})
    meta = {"label": "Base layer", "kind": "value", "units": "", "higher_is": "neutral", "theme": "Tests",
            "description": "Made by the tests.", "period": "2024", "decimals": 1, "source_title": "Tests",
            "publisher": "tests", "licence": "none", "attribution": "Test data.", "method": "as made",
            "native_geography": "lsoa21", "boundary_attribution": "Made-up squares."}
    built = built.with_layer("lsoa21", "base", pd.DataFrame({"value": np.arange(1.0, 9.0)}, index=frame.index), meta)
    return store.save(built, Path(folder))


def snapshot(folder: Path) -> dict:
    """Every file under ``folder``: relative path -> (size, modification time, SHA-256)."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns,
                                                  hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def layers_of(gpkg: Path) -> set[tuple[str, str]]:
    """(layer, geography) of every layer of the atlas in ``gpkg``."""
    built = store.load(gpkg)
    return set(zip(built.layers["layer"], built.layers["geography"]))


def assert_opens(gpkg: Path, layers: set) -> None:
    """The atlas at ``gpkg`` opens, with exactly ``layers``, and every value of every layer is finite or missing."""
    built = store.load(gpkg)
    assert set(zip(built.layers["layer"], built.layers["geography"])) == layers
    for layer, geography in layers:
        values = built.values(layer, geography).to_numpy(dtype=float)
        assert not np.isinf(values).any()


def write_csv(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    """A CSV of ``rows`` (lines) at ``path``."""
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    return path


def assert_refused(err: str, status: int, before: dict, folder: Path, layers: set, *words: str) -> None:
    """A refusal: status 2, ``words`` in one line of error, no traceback, no file changed, the atlas opens as before."""
    assert status == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    assert snapshot(folder) == before
    assert_opens(Path(folder) / f"{LUTON}.gpkg", layers)
