"""The unit suite's guard: no unit test can use the real source directory."""

from __future__ import annotations

import glob
import os

import pytest

from atlas import config
from atlas.errors import SourceDirError
from tests.unit.guard import NO_SOURCE, STATE, RealSourceUsed


def test_the_settings_name_a_source_directory_that_does_not_exist():
    assert os.environ[config.SOURCE_ENV] == str(NO_SOURCE)
    assert not NO_SOURCE.exists()
    with pytest.raises(SourceDirError, match="does not exist"):
        config.source_dir()


def test_outputs_go_to_the_tests_own_folder(tmp_path):
    assert config.out_dir() == tmp_path / "output"
    assert config.atlas_dir() == tmp_path / "output" / "atlas"


@pytest.mark.skipif(not STATE["roots"], reason="no real source directory on this machine to guard")
def test_reading_or_listing_the_real_files_fails():
    root = STATE["roots"][0]
    with pytest.raises(RealSourceUsed, match="real source directory"):
        open(os.path.join(root, "PROVENANCE.md"), "rb")
    with pytest.raises(RealSourceUsed):
        os.listdir(root)
    with pytest.raises(RealSourceUsed):
        glob.glob(os.path.join(root, "*", "*.csv"))


def test_files_elsewhere_are_not_guarded(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("code,value\nE01000001,1\n")
    assert path.read_text().startswith("code")


def test_the_fixtures_built_from_real_files_are_refused(request):
    for name in ("source_dir", "luton", "luton_path"):
        with pytest.raises(pytest.fail.Exception, match="unit tests do not use"):
            request.getfixturevalue(name)
