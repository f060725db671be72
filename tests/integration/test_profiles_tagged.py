"""The accessible profile PDF (issue 16 item 7): tagged, with language, title and reading order.

Biscot's profile of Luton's real atlas is printed by Debian's chromium
(``atlas profile --tagged``); the PDF is read back with pypdf: its catalogue
is marked and has a structure tree, ``/Lang`` and the title; the tree holds the
profile's heading, one Table per table of the profile with its header cells, and
the map as a Figure whose alternative text is the profile's own; the text runs
in the order of the summary (page 1 the glance and the map, page 2 the key
indicators, the full tables from page 3) and every page has its footer.
"""

from __future__ import annotations

from collections import Counter

import pypdf
import pytest

from atlas import profiles
from atlas.cli import main

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def printed(luton, luton_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("tagged") / "biscot.pdf"
    code = main(["profile", "--la", "E06000032", "--atlas-dir", str(luton_path.parent), "--area", "Biscot",
                 "--out", str(out), "--tagged"])
    assert code == 0
    return pypdf.PdfReader(out), profiles.build_profile(luton, "Biscot")


def structure(reader) -> tuple[Counter, list]:
    """Count of each structure type in the tree, and the (type, /Alt) of every element that has /Alt."""
    kinds, alts = Counter(), []

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            for child in node:
                walk(child)
        elif isinstance(node, pypdf.generic.DictionaryObject):
            if "/S" in node:
                kinds[str(node["/S"])] += 1
                if "/Alt" in node:
                    alts.append((str(node["/S"]), str(node["/Alt"])))
            if "/K" in node:
                walk(node["/K"])
    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return kinds, alts


def test_the_pdf_is_tagged_with_language_and_title(printed):
    reader, profile = printed
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == f"{profile.title} ({profile.la_name})"


def test_the_structure_tree_has_the_heading_tables_and_the_map_with_its_alternative_text(printed):
    reader, profile = printed
    kinds, alts = structure(reader)
    assert kinds["/H1"] == 1
    assert kinds["/Table"] == len(profile.tables)
    assert kinds["/TH"] >= sum(len(t.shown.columns) for t in profile.tables)
    assert ("/Figure", profile.map_alt) in alts
    spine = profile.table("spine")
    assert ("/Figure", spine.image_alt) in alts


def test_the_summary_comes_first_and_every_page_has_its_footer(printed):
    reader, profile = printed
    pages = [page.extract_text().replace("\ufb01", "fi") for page in reader.pages]  # chromium sets "fi" as a ligature
    first = " ".join(pages[0].split())
    assert first.startswith(f"{profile.title} Ward")
    assert first.index("At a glance") < first.index("Map")
    assert "Key indicators" in pages[1] and "The full tables" not in pages[1]
    assert "The full tables" in pages[2]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number}" in text.replace("\n", " "), number
    assert len(pages) < 30


def test_tagged_needs_a_pdf_and_says_when_chromium_is_missing(luton_path, tmp_path, capsys, monkeypatch):
    folder = str(luton_path.parent)
    assert main(["profile", "--la", "E06000032", "--atlas-dir", folder, "--area", "Biscot",
                 "--out", str(tmp_path / "b.html"), "--tagged"]) == 2
    assert "--tagged writes a PDF" in capsys.readouterr().err
    monkeypatch.setenv("ATLAS_CHROMIUM", str(tmp_path / "no-chromium"))
    assert main(["profile", "--la", "E06000032", "--atlas-dir", folder, "--area", "Biscot",
                 "--out", str(tmp_path / "b.pdf"), "--tagged"]) == 2
    err = capsys.readouterr().err
    assert "--tagged: The accessible (tagged) PDF is printed by chromium, not found at" in err
    assert "no-chromium" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
