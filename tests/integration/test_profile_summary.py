"""Profiles worth sharing (issue 16, item 6): a two-page summary first, the full tables and the method after.

A Primary Care Network's PDF (Luton, the real files) read back with pypdf: its
page count is printed; page 1 holds the title, the figures at a glance and the
map, page 2 the key indicators (the spine chart) and the services; the full
tables start on page 3 and the method ("About these figures") comes after
them. The PDF declares its title and language. Names are in one style: upper-case
names from the data in title case, counts with thousands separators.
"""

from __future__ import annotations

import io
import re

import pytest

from atlas import config, profiles

PCN = "U51229"


@pytest.fixture(scope="module")
def pcn_pdf(luton):
    profile = profiles.build_profile(luton, PCN, source_dir=config.source_dir())
    return profile, profiles.render_pdf(profile)


def page_texts(data: bytes) -> list[str]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def first_page_with(texts: list[str], heading: str) -> int:
    return next(i + 1 for i, text in enumerate(texts) if heading in text)


def test_the_pcn_pdf_starts_with_a_two_page_summary_and_ends_with_the_method(pcn_pdf, luton):
    profile, data = pcn_pdf
    texts = page_texts(data)
    print(f"PCN profile PDF ({profile.area.name}): {len(texts)} pages")
    assert profile.title in texts[0] and "Summary: at a glance" in texts[0]
    for label, _ in profile.summary:
        assert " ".join(label.split()) in texts[0], label
    assert "Summary: key indicators" in texts[1] and "Summary: services" in texts[1]
    assert profiles.networks(luton)[PCN] in texts[1]
    # the network's practices are named on page 2 (the services); the spine chart's alternative text too
    practices = profile.table("assets").shown
    first = practices["Name"].iloc[0]
    assert first in texts[1]
    assert first_page_with(texts, "The full tables") == 3
    method = first_page_with(texts, "Method: about these figures")
    assert method > 3 and method >= first_page_with(texts, profile.tables[-1].title)
    assert "Sources and licences" in " ".join(texts[method - 1:])
    for text in texts[:2]:
        assert "Method: about these figures" not in text and "Sources and licences" not in text


def test_the_pdf_declares_its_title_and_language(pcn_pdf):
    import pypdf

    profile, data = pcn_pdf
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title == profile.title == f"Neighbourhood profile: {profile.area.name}"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_names_in_one_style_and_counts_with_separators(pcn_pdf, luton):
    profile, _ = pcn_pdf
    assets = profile.table("assets")
    # names written in capitals in the data are shown in title case, as the app's tables show them
    raw = assets.data["name"].astype(str)
    shown = assets.shown["Name"]
    upper = raw.str.isupper()
    assert upper.any()
    assert not shown[upper].str.isupper().any()
    assert not assets.shown["Primary Care Network"].str.isupper().any()
    funnel = profile.table("network_funnel").shown
    assert len(funnel) and not funnel["Practice"].str.isupper().any()
    # list sizes of four digits or more carry thousands separators
    sizes = assets.data["list_size"].dropna()
    big = sizes[sizes >= 1000]
    assert len(big)
    for index, size in big.items():
        assert assets.shown.loc[index, "Registered patients"] == f"{int(round(size)):,}"
    for table in profile.tables:
        for column in table.shown.columns:
            for cell in table.shown[column].astype(str):
                assert not re.fullmatch(r"\d{5,}", cell), (table.key, column, cell)  # no bare 5-digit counts
