"""atlas.config: where the source files are read from and outputs go (explicit, then environment, then default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from atlas import config
from atlas.errors import AtlasError, SourceDirError


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """A working folder ``run/`` with ``../shared/data`` beside it (the default), and two other folders."""
    run = tmp_path / "run"
    default = tmp_path / "shared" / "data"
    given = tmp_path / "given"
    from_env = tmp_path / "from-env"
    for folder in (run, default, given, from_env):
        folder.mkdir(parents=True)
    monkeypatch.chdir(run)
    return {"run": run, "default": default, "given": given, "env": from_env}


# -- source directory -----------------------------------------------------------------------------

def test_an_explicit_source_directory_wins_over_the_environment(folders, monkeypatch):
    monkeypatch.setenv(config.SOURCE_ENV, str(folders["env"]))
    assert config.source_dir(folders["given"]) == folders["given"].resolve()
    assert config.source_dir(str(folders["given"])) == folders["given"].resolve()


def test_the_environment_wins_over_the_default(folders, monkeypatch):
    monkeypatch.setenv(config.SOURCE_ENV, str(folders["env"]))
    assert config.source_dir() == folders["env"].resolve()
    assert config.source_dir("") == folders["env"].resolve()  # an empty --source is no setting


def test_the_default_is_shared_data_beside_the_current_folder(folders, monkeypatch):
    monkeypatch.delenv(config.SOURCE_ENV)
    assert config.source_dir() == folders["default"].resolve()
    monkeypatch.setenv(config.SOURCE_ENV, "")  # set but empty: still the default
    assert config.source_dir() == folders["default"].resolve()


def test_a_relative_explicit_directory_is_resolved_from_the_current_folder(folders):
    (folders["run"] / "mine").mkdir()
    assert config.source_dir("mine") == (folders["run"] / "mine").resolve()
    assert config.source_dir("mine").is_absolute()


def test_a_missing_explicit_directory_is_an_error_naming_it_and_the_option(folders):
    missing = folders["run"] / "nowhere"
    with pytest.raises(SourceDirError) as info:
        config.source_dir(missing)
    assert str(info.value) == f"The source directory {missing} (set by --source) does not exist or is not a folder."


def test_a_missing_directory_from_the_environment_names_the_variable(folders, monkeypatch):
    missing = folders["run"] / "nowhere"
    monkeypatch.setenv(config.SOURCE_ENV, str(missing))
    with pytest.raises(SourceDirError, match=f"{missing} \\(set by the environment variable ATLAS_SOURCE_DIR\\)"):
        config.source_dir()


def test_a_file_is_not_a_source_directory(folders):
    a_file = folders["run"] / "data.csv"
    a_file.write_text("x\n")
    with pytest.raises(SourceDirError, match="does not exist or is not a folder"):
        config.source_dir(a_file)


def test_no_setting_and_no_default_says_how_to_set_one(tmp_path, monkeypatch):
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    monkeypatch.chdir(lonely)
    monkeypatch.delenv(config.SOURCE_ENV)
    with pytest.raises(SourceDirError) as info:
        config.source_dir()
    message = str(info.value)
    assert "ATLAS_SOURCE_DIR is not set" in message
    assert str(Path("..") / "shared" / "data") in message and str(lonely) in message
    assert "--source DIR" in message and "atlas fetch" in message
    assert isinstance(info.value, AtlasError)


# -- output and atlas folders -------------------------------------------------------------------------

def test_out_dir_explicit_then_environment_then_output(folders, monkeypatch):
    monkeypatch.setenv(config.OUT_ENV, str(folders["env"]))
    assert config.out_dir(folders["given"]) == folders["given"]
    assert config.out_dir() == folders["env"]
    monkeypatch.delenv(config.OUT_ENV)
    assert config.out_dir() == Path("output")
    assert not (folders["run"] / "output").exists()  # named, not created


def test_atlas_dir_explicit_else_the_atlas_folder_of_the_outputs(folders, monkeypatch):
    monkeypatch.setenv(config.OUT_ENV, str(folders["env"]))
    assert config.atlas_dir(folders["given"]) == folders["given"]
    assert config.atlas_dir("elsewhere") == Path("elsewhere")
    assert config.atlas_dir() == folders["env"] / "atlas"
    monkeypatch.delenv(config.OUT_ENV)
    assert config.atlas_dir() == Path("output") / "atlas"
    assert config.atlas_dir("") == Path("output") / "atlas"


# -- other settings ----------------------------------------------------------------------------------

def test_os_licence_number_is_optional(monkeypatch):
    assert config.os_licence_number() is None
    monkeypatch.setenv(config.OS_LICENCE_ENV, "   ")
    assert config.os_licence_number() is None
    monkeypatch.setenv(config.OS_LICENCE_ENV, " 100012345 ")
    assert config.os_licence_number() == "100012345"


def test_default_district_is_luton_unless_set(monkeypatch):
    assert config.default_district() == "E06000032"
    monkeypatch.setenv(config.DEFAULT_LA_ENV, " E06000055 ")
    assert config.default_district() == "E06000055"
    monkeypatch.setenv(config.DEFAULT_LA_ENV, "")
    assert config.default_district() == "E06000032"
