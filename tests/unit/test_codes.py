"""atlas.codes: what kind of area a GSS code names, and district codes."""

from __future__ import annotations

import re

import pytest

from atlas.codes import check_district_code, kind_of
from atlas.errors import AtlasError, UnknownAreaError


@pytest.mark.parametrize("code, kind", [
    ("E00000001", "output area"),
    ("E01015693", "LSOA"),
    ("W01000001", "LSOA"),
    ("E02003263", "MSOA"),
    ("E05015000", "electoral ward"),
    ("E06000032", "district (unitary authority)"),
    ("W06000015", "district (unitary authority)"),
    ("E07000240", "district (non-metropolitan)"),
    ("E08000025", "district (metropolitan borough)"),
    ("E09000033", "district (London borough)"),
    ("E12000006", "region"),
    ("E92000001", "country"),
    (" e01015693 ", "LSOA"),  # spaces and case do not matter
])
def test_kind_of_known_entity_types(code, kind):
    assert kind_of(code) == kind


@pytest.mark.parametrize("code, prefix", [("E99000001", "E99"), ("S12000033", "S12"), ("K04000001", "K04")])
def test_kind_of_other_gss_codes_names_the_entity_type(code, prefix):
    assert kind_of(code) == f"area of GSS type {prefix}"


@pytest.mark.parametrize("text", ["Luton", "", "E0600003", "E060000321", "X06000032", "E06-00032", "06000032E"])
def test_kind_of_text_that_is_not_a_gss_code_is_none(text):
    assert kind_of(text) is None


@pytest.mark.parametrize("code, clean", [
    ("E06000032", "E06000032"), (" e07000240\n", "E07000240"), ("E08000025", "E08000025"),
    ("E09000033", "E09000033"), ("e92000001", "E92000001"),
])
def test_english_district_codes_and_england_are_accepted_normalised(code, clean):
    assert check_district_code(code) == clean


@pytest.mark.parametrize("code, kind", [
    ("E01015693", "LSOA"), ("E05015000", "electoral ward"), ("W06000015", "district (unitary authority)"),
    ("E11000001", "metropolitan county"),
])
def test_other_kinds_of_area_are_refused_naming_their_kind(code, kind):
    with pytest.raises(UnknownAreaError) as info:
        check_district_code(code)
    message = str(info.value)
    assert re.match(f"{code} is the code of an? {re.escape(kind)}, not of an English district", message)
    assert "E06, E07, E08 or E09" in message and "E06000032" in message


@pytest.mark.parametrize("text", ["Luton", "E0600003", "", "E06"])
def test_text_that_is_not_a_code_is_refused(text):
    with pytest.raises(UnknownAreaError, match=f"^{text!r} is not an ONS area code; district codes start E06"):
        check_district_code(text)


def test_a_refused_code_is_an_atlas_error():
    assert issubclass(UnknownAreaError, AtlasError)


def test_county_codes_are_accepted_as_upper_tier_authorities():
    assert check_district_code(" e10000015 ") == "E10000015"
