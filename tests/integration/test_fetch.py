"""``atlas fetch`` against a small HTTP server on localhost serving files in the official layouts.

The tests write a tiny catalogue of specs whose download tables name
``https://publisher.example/...`` addresses; ``mirrors`` redirect those to the
local server, so nothing here touches a real publisher. The server serves a
workbook (members table, like IoD2019 File 1), a zip (like the nomis Census
bulk files), a CSV to be renamed (like IoD File 7) and an ArcGIS feature
service (like the ONS Open Geography Portal) with paging.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import threading
import time
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

import atlas
from atlas import cli
from atlas.errors import SpecError
from atlas.fetch import MANIFEST, FetchError, fetch, file_refs, sha256
from atlas.specs import Catalogue

PUBLISHER = "https://publisher.example/"
LUTON, BEDFORD = "E06000032", "E06000055"

# LSOAs: code, name, district, district name, lon/lat of the south-west corner of a 0.01-degree square
LSOAS = [
    ("E01000001", "Luton 001A", LUTON, "Luton", -0.45, 51.88),
    ("E01000002", "Luton 001B", LUTON, "Luton", -0.44, 51.88),
    ("E01000003", "Luton 002A", LUTON, "Luton", -0.43, 51.88),
    ("E01000004", "Bedford 001A", BEDFORD, "Bedford", -0.47, 52.13),
]
MSOAS = [("E02000001", "Luton 001", -0.45, 51.88, 0.02), ("E02000002", "Luton 002", -0.43, 51.88, 0.01),
         ("E02000003", "Bedford 001", -0.47, 52.13, 0.01)]
DISTRICTS = [(LUTON, "Luton", -0.46, 51.87, 0.05), (BEDFORD, "Bedford", -0.48, 52.12, 0.05)]
POPULATION = {"E01000001": 1500, "E01000002": 1700, "E01000003": 1600, "E01000004": 1400}
SCORES = {"E01000001": 0.11, "E01000002": 0.23, "E01000003": 0.05, "E01000004": 0.31}


# --- the published files, in their official layouts ------------------------------------------------

def _square(lon, lat, size=0.01):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def members_workbook(code_column="LSOA code (2011)") -> bytes:
    """Like IoD2019 File 1: a Notes sheet, then the LSOA table."""
    table = pd.DataFrame({code_column: [r[0] for r in LSOAS], "LSOA name (2011)": [r[1] for r in LSOAS],
                          "Local Authority District code (2019)": [r[2] for r in LSOAS],
                          "Local Authority District name (2019)": [r[3] for r in LSOAS]})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"Notes": ["English indices of deprivation (test copy)"]}).to_excel(
            writer, sheet_name="Notes", index=False)
        table.to_excel(writer, sheet_name="IMD2019", index=False)
    return buffer.getvalue()


def census_zip() -> bytes:
    """Like a nomis bulk file: one CSV per geography level inside a zip."""
    lines = ['"date","geography","geography code","Residence type: Total; measures: Value"']
    lines += [f'"2021","{r[1]}","{r[0]}",{POPULATION[r[0]]}' for r in LSOAS]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("census2021-ts001-lsoa.csv", "\n".join(lines) + "\n")
        archive.writestr("census2021-ts001-ltla.csv", '"date","geography","geography code"\n')
    return buffer.getvalue()


def file7_csv() -> bytes:
    """Like IoD2019 File 7: official column names, renamed by the spec."""
    rows = ["LSOA code (2011),LSOA name (2011),Income Score (rate)"]
    rows += [f"{r[0]},{r[1]},{SCORES[r[0]]}" for r in LSOAS]
    return ("\n".join(rows) + "\n").encode()


FEATURE_LAYERS = {
    "LSOA": [_feature({"FID": i, "LSOA11CD": r[0], "LSOA11NM": r[1]}, _square(r[4], r[5]))
             for i, r in enumerate(LSOAS)],
    "MSOA": [_feature({"MSOA11CD": c, "MSOA11NM": n}, _square(x, y, s)) for c, n, x, y, s in MSOAS],
    "LAD": [_feature({"LAD25CD": c, "LAD25NM": n}, _square(x, y, s)) for c, n, x, y, s in DISTRICTS],
}


# --- the server --------------------------------------------------------------------------------------

class Publisher:
    """What the local server serves, and how it misbehaves when a test asks it to."""

    def __init__(self):
        self.files = {"iod/File_1.xlsx": members_workbook(), "nomis/census2021-ts001.zip": census_zip(),
                      "iod/File_7.csv": file7_csv()}
        self.layers = FEATURE_LAYERS
        self.page_size = 2  # small pages, so paging is exercised
        self.truncate: dict[str, int] = {}  # path -> how many more responses to cut in half
        self.status: dict[str, int] = {}  # path -> HTTP status to answer
        self.delay: dict[str, float] = {}  # path -> seconds to wait before answering
        self.arcgis_error: str | None = None
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)


def _evaluate(where: str, props: dict) -> bool:
    """The few SQL where clauses the specs use: 1=1, X = 'v', X IN ('a', 'b')."""
    if where.strip() == "1=1":
        return True
    match = re.fullmatch(r"\s*(\w+)\s+IN\s+\((.*)\)\s*", where, re.S)
    if match:
        values = [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", match.group(2))]
        return str(props.get(match.group(1))) in values
    match = re.fullmatch(r"\s*(\w+)\s*=\s*'(.*)'\s*", where)
    if match:
        return str(props.get(match.group(1))) == match.group(2)
    raise AssertionError(f"test server cannot evaluate where {where!r}")


def make_handler(publisher: Publisher):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output quiet
            pass

        def _misbehave(self, path: str) -> bool:
            publisher.requests.append((self.command, path, self.headers.get("Range")))
            if path in publisher.delay:
                time.sleep(publisher.delay[path])
            if path in publisher.status:
                self.send_error(publisher.status[path])
                return True
            return False

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path.lstrip("/")
            if self._misbehave(path):
                return
            if path not in publisher.files:
                self.send_error(404)
                return
            body = publisher.files[path]
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if match and self.headers.get("If-Range") == f'"{len(body)}"':
                start = int(match.group(1))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("ETag", f'"{len(body)}"')
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if publisher.truncate.get(path):
                publisher.truncate[path] -= 1
                self.wfile.write(body[start:start + (len(body) - start) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

        def do_POST(self):
            path = urllib.parse.urlparse(self.path).path.lstrip("/")
            if self._misbehave(path):
                return
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            name = path.split("/")[1]
            if publisher.arcgis_error:
                return self._json({"error": {"code": 400, "message": publisher.arcgis_error, "details": []}})
            rows = [f for f in publisher.layers[name] if _evaluate(form["where"][0], f["properties"])]
            offset = int(form.get("resultOffset", ["0"])[0])
            page = rows[offset:offset + publisher.page_size]
            more = offset + publisher.page_size < len(rows)
            if form["f"][0] == "geojson":
                body = {"type": "FeatureCollection", "features": page, "properties": {"exceededTransferLimit": more}}
            else:
                body = {"features": [{"attributes": f["properties"]} for f in page], "exceededTransferLimit": more}
            self._json(body)

        def _json(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def publisher():
    """A local HTTP server in a thread; yields (Publisher, base URL)."""
    state = Publisher()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# --- the specs of a small catalogue ----------------------------------------------------------------

SPECS = {
    "boundaries/lsoa.toml": f'''
id = "lsoa11"
label = "LSOA (2011)"
level = "lsoa"
vintage = "2011"
files = ["boundaries/lsoa2011_by_lad/{{lad}}.json.gz"]
code = "LSOA11CD"
name = "LSOA11NM"
crs = "EPSG:4326"

[members]
file = "deprivation/File_1.csv.gz"
code = "LSOA code (2011)"
district = "Local Authority District code (2019)"
district_name = "Local Authority District name (2019)"

[members.download]
url = "{PUBLISHER}iod/File_1.xlsx"
sheet = "IMD2019"

[download]
arcgis = "{PUBLISHER}arcgis/LSOA/FeatureServer/0"
where = "LSOA11CD IN ({{codes}})"
''',
    "boundaries/msoa.toml": f'''
id = "msoa11"
label = "MSOA (2011)"
level = "msoa"
vintage = "2011"
files = ["boundaries/msoa2011_{{lad}}_*.geojson"]
code = "MSOA11CD"
name = "MSOA11NM"
crs = "EPSG:4326"

[aggregate_from.lsoa11]
method = "name_prefix"

[download]
arcgis = "{PUBLISHER}arcgis/MSOA/FeatureServer/0"
where = "MSOA11NM IN ({{names}})"
file = "boundaries/msoa2011_{{lad}}_ons.geojson"
''',
    "boundaries/district.toml": f'''
id = "district"
label = "Local authority district"
level = "district"
vintage = "May 2025"
files = ["boundaries/LAD_MAY_2025/*.shp"]
code = "LAD25CD"
name = "LAD25NM"
district_column = "LAD25CD"
crs = "EPSG:27700"

[download]
arcgis = "{PUBLISHER}arcgis/LAD/FeatureServer/0"
file = "boundaries/LAD_MAY_2025/districts.shp"
''',
    "layers/census.toml": f'''
[source]
id = "census"
title = "Census 2021 TS001"
file = "population/census2021-ts001-lsoa.csv.gz"
key = "geography code"
geography = "lsoa11"
period = "2021"
publisher = "ONS"
licence = "OGL v3"
attribution = "ONS"
weight = "population"

[source.download]
url = "{PUBLISHER}nomis/census2021-ts001.zip"
member = "census2021-ts001-lsoa.csv"

[[indicator]]
id = "population"
label = "Usual residents"
column = "Residence type: Total; measures: Value"
kind = "population"
units = "people"
higher_is = "neutral"
description = "Usual residents."
''',
    "layers/scores.toml": f'''
[source]
id = "scores"
title = "IoD2019 File 7 (income score)"
file = "deprivation/third_party/scores.csv.gz"
key = "LSOA Code (2011)"
geography = "lsoa11"
period = "2019"
publisher = "MHCLG"
licence = "OGL v3"
attribution = "MHCLG"
weight = "population"

[source.download]
url = "{PUBLISHER}iod/File_7.csv"
rename = {{ "LSOA code (2011)" = "LSOA Code (2011)", "Income Score (rate)" = "Income Domain Score" }}

[[indicator]]
id = "income_score"
label = "Income deprivation"
column = "Income Domain Score"
kind = "rate"
units = "proportion"
higher_is = "worse"
description = "Income deprivation rate."
''',
}


@pytest.fixture
def specs(tmp_path) -> Path:
    """A folder holding the small catalogue's boundaries/ and layers/."""
    root = tmp_path / "specs"
    for relative, text in SPECS.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text.lstrip("\n"))
    return root


def run_fetch(specs, base, out, la=LUTON, **options):
    return fetch(out, la, catalogue=Catalogue.load(specs), root=specs, mirrors={PUBLISHER: base},
                 stream=io.StringIO(), **options)


# --- tests ------------------------------------------------------------------------------------------

def test_fetch_lays_out_a_source_directory_the_build_reads(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    result = run_fetch(specs, base, out)
    assert not result.failed and not result.missing
    members = pd.read_csv(out / "deprivation/File_1.csv.gz")
    assert list(members["LSOA code (2011)"]) == [r[0] for r in LSOAS]  # sheet IMD2019, not Notes
    lsoas = json.loads(gzip.decompress((out / f"boundaries/lsoa2011_by_lad/{LUTON}.json.gz").read_bytes()))
    assert sorted(f["properties"]["LSOA11CD"] for f in lsoas["features"]) == ["E01000001", "E01000002", "E01000003"]
    msoas = json.loads((out / f"boundaries/msoa2011_{LUTON}_ons.geojson").read_text())
    assert sorted(f["properties"]["MSOA11NM"] for f in msoas["features"]) == ["Luton 001", "Luton 002"]
    assert not (out / f"boundaries/lsoa2011_by_lad/{BEDFORD}.json.gz").exists()  # --la: Luton only

    built = atlas.build(LUTON, source_dir=out, catalogue=Catalogue.load(specs), write=False)
    lsoa = built.geographies["lsoa11"]
    assert sorted(lsoa.index) == ["E01000001", "E01000002", "E01000003"]
    assert lsoa.loc["E01000002", "population"] == POPULATION["E01000002"]
    assert lsoa.loc["E01000002", "income_score"] == pytest.approx(SCORES["E01000002"])
    msoa = built.geographies["msoa11"]
    expected = (0.11 * 1500 + 0.23 * 1700) / 3200  # population-weighted mean of Luton 001A and 001B
    assert msoa.loc["E02000001", "income_score"] == pytest.approx(expected)
    assert built.outline is not None and list(built.outline.index) == [LUTON]


def test_manifest_records_address_size_checksum_time_and_spec(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    run_fetch(specs, base, out)
    manifest = json.loads((out / MANIFEST).read_text())["files"]
    entry = manifest["population/census2021-ts001-lsoa.csv.gz"]
    path = out / "population/census2021-ts001-lsoa.csv.gz"
    assert entry["url"] == f"{PUBLISHER}nomis/census2021-ts001.zip"  # the official address, not the mirror
    assert entry["bytes"] == path.stat().st_size and entry["sha256"] == sha256(path)
    assert entry["spec"] == "layers/census.toml" and entry["fetched"].startswith("20")
    assert "zip member census2021-ts001-lsoa.csv" in entry["converted"] and "gzip" in entry["converted"]
    shapefile = [rel for rel in manifest if rel.startswith("boundaries/LAD_MAY_2025/")]
    assert {Path(rel).suffix for rel in shapefile} >= {".shp", ".shx", ".dbf", ".prj"}
    assert not (out / ".fetch-downloads").exists() and not (out / ".fetch-staging").exists()


def test_second_run_skips_complete_files_and_refetches_a_changed_one(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    first = run_fetch(specs, base, out)
    state.requests.clear()
    second = run_fetch(specs, base, out)
    assert second.fetched == [] and sorted(second.skipped) == sorted({
        json.loads((out / MANIFEST).read_text())["files"][rel]["item"] for rel in first.fetched})
    assert state.requests == []
    damaged = out / "deprivation/File_1.csv.gz"
    damaged.write_bytes(b"not what was downloaded")
    third = run_fetch(specs, base, out)
    assert third.fetched == ["deprivation/File_1.csv.gz"]
    assert pd.read_csv(damaged)["LSOA code (2011)"].tolist() == [r[0] for r in LSOAS]


def test_truncated_download_fails_cleanly_then_resumes_with_range(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    state.truncate["nomis/census2021-ts001.zip"] = 1
    with pytest.raises(FetchError, match=r"(?s)census2021-ts001.zip.*(incomplete|broke off).*run the same command"):
        run_fetch(specs, base, out)
    assert not (out / "population/census2021-ts001-lsoa.csv.gz").exists()  # never a half-written file
    partial = list((out / ".fetch-downloads").glob("*.part"))
    assert len(partial) == 1 and 0 < partial[0].stat().st_size < len(state.files["nomis/census2021-ts001.zip"])
    assert (out / "deprivation/File_1.csv.gz").exists()  # the other files were fetched all the same

    have = partial[0].stat().st_size
    state.requests.clear()
    result = run_fetch(specs, base, out)
    ranges = [r for method, path, r in state.requests if path == "nomis/census2021-ts001.zip"]
    assert ranges == [f"bytes={have}-"]  # resumed where it broke off, not restarted
    assert result.fetched == ["population/census2021-ts001-lsoa.csv.gz"]
    census = pd.read_csv(out / "population/census2021-ts001-lsoa.csv.gz")
    assert census["Residence type: Total; measures: Value"].tolist() == [POPULATION[r[0]] for r in LSOAS]


def test_a_changed_column_is_reported_and_nothing_is_written(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    state.files["iod/File_1.xlsx"] = members_workbook(code_column="LSOA code (2021)")
    with pytest.raises(FetchError) as caught:
        run_fetch(specs, base, out)
    message = str(caught.value)
    assert "iod/File_1.xlsx has changed" in message and "'LSOA code (2011)'" in message
    assert "'LSOA code (2021)'" in message  # the columns it has instead
    assert not (out / "deprivation/File_1.csv.gz").exists()


def test_a_renamed_column_missing_upstream_names_the_column(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    state.files["iod/File_7.csv"] = file7_csv().replace(b"Income Score (rate)", b"Income Score")
    with pytest.raises(FetchError, match=r"no column 'Income Score \(rate\)'"):
        run_fetch(specs, base, out)
    assert not (out / "deprivation/third_party/scores.csv.gz").exists()


def test_http_error_names_status_and_address(specs, publisher, tmp_path):
    state, base = publisher
    state.status["iod/File_7.csv"] = 404
    with pytest.raises(FetchError, match=r"File_7.csv answered HTTP 404"):
        run_fetch(specs, base, tmp_path / "source")


def test_timeout_is_reported(specs, publisher, tmp_path):
    state, base = publisher
    state.delay["iod/File_7.csv"] = 2
    with pytest.raises(FetchError, match=r"No answer from .*File_7.csv within 0.5 s \(timed out\)"):
        run_fetch(specs, base, tmp_path / "source", timeout=0.5)


def test_service_error_in_an_arcgis_answer_is_reported(specs, publisher, tmp_path):
    state, base = publisher
    state.arcgis_error = "Invalid query parameters"
    with pytest.raises(FetchError, match=r"LSOA/FeatureServer/0/query refused the query where .*Invalid query"):
        run_fetch(specs, base, tmp_path / "source")


def test_every_district_without_la(specs, publisher, tmp_path):
    state, base = publisher
    out = tmp_path / "source"
    run_fetch(specs, base, out, la=None)
    assert (out / f"boundaries/lsoa2011_by_lad/{BEDFORD}.json.gz").exists()
    assert (out / f"boundaries/msoa2011_{BEDFORD}_ons.geojson").exists()


def test_file_without_address_is_listed(specs, publisher, tmp_path):
    state, base = publisher
    text = (specs / "layers/scores.toml").read_text()
    (specs / "layers/scores.toml").write_text(re.sub(r"\[source\.download\].*?\n\n", "", text, flags=re.S))
    with pytest.raises(FetchError, match=r"deprivation/third_party/scores.csv.gz \(wanted by layers/scores.toml\): "
                                         r"no spec gives its official address"):
        run_fetch(specs, base, tmp_path / "source")


@pytest.mark.parametrize("table, message", [
    ('url = "https://a.example/x.csv"\narcgis = "https://b.example/FeatureServer/0"', "exactly one of url and arcgis"),
    ('url = "ftp://a.example/x.csv"', "is not an http"),
    ('url = "https://a.example/x.csv"\nsheets = "Data"', "unknown download key"),
])
def test_malformed_download_tables_are_spec_errors(specs, table, message):
    path = specs / "layers/census.toml"
    text = path.read_text()
    start = text.index("[source.download]")
    path.write_text(text[:start] + "[source.download]\n" + table + "\n\n" + text[text.index("[[indicator]]"):])
    with pytest.raises(SpecError, match=message):
        file_refs(Catalogue.load(specs))


def test_download_file_name_must_match_the_spec_pattern(specs):
    path = specs / "boundaries/msoa.toml"
    path.write_text(path.read_text().replace('file = "boundaries/msoa2011_{lad}_ons.geojson"',
                                             'file = "boundaries/msoa_{lad}.geojson"'))
    with pytest.raises(SpecError, match="does not match the spec's file pattern"):
        file_refs(Catalogue.load(specs))


def test_cli_reports_failures_with_exit_status_2(specs, publisher, tmp_path, monkeypatch, capsys):
    state, base = publisher
    state.status["iod/File_7.csv"] = 500
    monkeypatch.setattr("atlas.specs.catalogue.SPEC_ROOT", specs)  # the command reads the small catalogue
    status = cli.main(["fetch", "--out", str(tmp_path / "source"), "--la", LUTON, "--mirror", f"{PUBLISHER}={base}",
                       "--timeout", "5"])
    err = capsys.readouterr().err
    assert status == 2
    assert "atlas fetch: error: 1 file(s) could not be fetched" in err and "File_7.csv answered HTTP 500" in err
    assert "Run the same command again to resume" in err


def test_project_specs_give_every_file_an_official_address():
    catalogue = Catalogue.load()
    refs = file_refs(catalogue)
    missing = [f"{r.pattern} ({r.wanted_by})" for r in refs if r.download is None]
    assert missing == []
    for ref in refs:
        assert ref.download.address.startswith("https://")
        if ref.boundary is None:
            assert ref.columns, f"{ref.pattern}: no columns to check"


def test_list_prints_each_file_with_its_address(capsys, tmp_path):
    assert cli.main(["fetch", "--out", str(tmp_path), "--la", LUTON, "--list"]) == 0
    out = capsys.readouterr().out
    assert "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz" in out
    assert "from: https://assets.publishing.service.gov.uk/" in out
    assert f"boundaries/lsoa2011_england_by_lad/{LUTON}.json.gz" in out
    assert not any(tmp_path.iterdir())  # --list downloads nothing


def test_script_runs_the_fetch_command(tmp_path):
    import subprocess
    import sys
    script = Path(__file__).resolve().parents[2] / "scripts" / "fetch_sources.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path), "--la", LUTON, "--list"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "census2021-ts001.zip" in done.stdout and "zip member census2021-ts001-lsoa.csv" in done.stdout
