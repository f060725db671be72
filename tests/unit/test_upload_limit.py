"""One size limit for imported files, stated the same in the app, the command line and the README (issue 16, item 5)."""

from __future__ import annotations

import argparse
import re
import tomllib

import pytest

from atlas import importer
from atlas.cli import make_parser
from atlas.cli.app import STREAMLIT_SETTINGS
from atlas.ui.upload import upload_help
from tests.app_support import PROJECT


def test_the_limit_is_one_constant_in_megabytes():
    assert importer.MAX_UPLOAD_BYTES == importer.MAX_UPLOAD_MB * 1024 * 1024


def test_the_app_states_the_limit_in_its_config_its_settings_and_the_uploader_help():
    config = tomllib.loads((PROJECT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == importer.MAX_UPLOAD_MB
    assert STREAMLIT_SETTINGS["server.maxUploadSize"] == str(importer.MAX_UPLOAD_MB)
    assert re.findall(r"(\d+) MB", upload_help()) == [str(importer.MAX_UPLOAD_MB)]


def test_the_command_line_and_the_readme_state_the_same_limit():
    help_text = " ".join(_import_help().split())
    assert f"up to {importer.MAX_UPLOAD_MB} MB" in help_text
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    stated = set(re.findall(r"up to (\d+) MB", readme))
    assert stated == {str(importer.MAX_UPLOAD_MB)}, stated


def test_a_file_over_the_limit_is_refused_with_the_limit_named():
    with pytest.raises(importer.ImportFileError, match=rf"imports files up to {importer.MAX_UPLOAD_MB} MB"):
        importer.check_size(importer.MAX_UPLOAD_BYTES + 1, "big.csv")
    importer.check_size(importer.MAX_UPLOAD_BYTES, "just_fits.csv")


def _import_help() -> str:
    parser = make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["import"].format_help()
