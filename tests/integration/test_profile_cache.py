"""Profiles computed once per build (issue 16, item 6): kept on disk by a fingerprint of the atlas and the area."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest

from atlas import profiles
from atlas.profiles import cache

BISCOT = "E05014737"


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """An empty folder for the kept profiles, and a count of the profiles actually computed."""
    folder = tmp_path / "cache" / "profiles"
    monkeypatch.setattr(cache, "_cache_file", lambda key: folder / f"{key}.pickle")
    calls = []
    real = cache.build_profile

    def build(*args, **kwargs):
        calls.append(args[1].code)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "build_profile", build)
    return tmp_path, calls


def test_a_profile_is_computed_once_per_build_and_read_back_after(counted, luton):
    out, calls = counted
    first = profiles.cached_profile(luton, BISCOT, geography="ward2023")
    assert calls == [BISCOT]
    kept = list((out / "cache" / "profiles").glob("*.pickle"))
    assert len(kept) == 1 and kept[0].stem == profiles.profile_key(luton, BISCOT, geography="ward2023")
    again = profiles.cached_profile(luton, BISCOT, geography="ward2023")
    assert calls == [BISCOT]                              # read back, not computed
    assert again.title == first.title and again.map_png == first.map_png
    assert again.table("indicators").shown.equals(first.table("indicators").shown)
    assert again.produced == dt.date.today()
    # the same figures as a profile computed directly
    direct = profiles.build_profile(luton, profiles.find_area(luton, BISCOT, geography="ward2023"))
    assert again.table("indicators").shown.equals(direct.table("indicators").shown)


def test_another_build_another_area_or_session_layers_compute_afresh(counted, luton):
    out, calls = counted
    profiles.cached_profile(luton, BISCOT, geography="ward2023")
    rebuilt = dataclasses.replace(luton, report=dataclasses.replace(luton.report, built="2030-01-01T00:00:00+00:00"))
    assert profiles.profile_key(rebuilt, BISCOT, geography="ward2023") != profiles.profile_key(
        luton, BISCOT, geography="ward2023")
    profiles.cached_profile(rebuilt, BISCOT, geography="ward2023")
    assert calls == [BISCOT, BISCOT]
    profiles.cached_profile(luton, BISCOT, geography="ward2023", keep=False)   # an atlas with uploads
    assert calls == [BISCOT] * 3
    assert len(list((out / "cache" / "profiles").glob("*.pickle"))) == 2


def test_a_damaged_kept_profile_is_computed_again(counted, luton):
    out, calls = counted
    profiles.cached_profile(luton, BISCOT, geography="ward2023")
    [kept] = (out / "cache" / "profiles").glob("*.pickle")
    kept.write_bytes(b"not a pickle")
    profile = profiles.cached_profile(luton, BISCOT, geography="ward2023")
    assert calls == [BISCOT, BISCOT] and profile.area.code == BISCOT


def test_warming_computes_in_the_background_once(counted, luton):
    out, calls = counted
    assert profiles.warm(luton, BISCOT, geography="ward2023")
    assert not profiles.warm(luton, BISCOT, geography="ward2023")   # already under way or kept
    for thread in [t for t in threading.enumerate() if t.name.startswith("profile-warm-")]:
        thread.join(timeout=300)
    assert calls == [BISCOT]
    profiles.cached_profile(luton, BISCOT, geography="ward2023")
    assert calls == [BISCOT]
