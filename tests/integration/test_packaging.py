"""The atlas as an installed package: a wheel built from the repository works without the checkout."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from atlas.cli import main
from atlas.cli.app import check_port_free, streamlit_command

from ..conftest import LUTON, PROJECT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from the repository, unpacked into a folder of its own (no checkout on the path)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(folder / "dist"), str(PROJECT)], check=True, capture_output=True)
    [wheel] = (folder / "dist").glob("health_equity_atlas-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(folder / "site"), str(wheel)], check=True, capture_output=True)
    return folder / "site"


def _run(site: Path, cwd: Path, *args: str, source_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env.update(PYTHONPATH=str(site), ATLAS_SOURCE_DIR=str(source_dir))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_wheel_carries_the_specs_and_builds_luton_outside_the_checkout(installed, tmp_path, source_dir):
    where = _run(installed, tmp_path, "-c", "import atlas, atlas.specs as s; print(atlas.__file__); "
                 "print(len(s.Catalogue.load().indicators))", source_dir=source_dir)
    assert where.returncode == 0, where.stderr
    path, indicators = where.stdout.split()
    assert Path(path).is_relative_to(installed) and int(indicators) > 100
    built = _run(installed, tmp_path, "-m", "atlas", "build", "--la", LUTON, source_dir=source_dir)
    assert built.returncode == 0, built.stderr
    assert "LSOA (2011)" in built.stdout and (tmp_path / "output" / "atlas" / f"{LUTON}.gpkg").is_file()
    helped = _run(installed, tmp_path, "-m", "atlas", "app", "--help", source_dir=source_dir)
    assert helped.returncode == 0 and "--port N" in helped.stdout


def test_the_wheel_carries_the_large_map_component(installed):
    folder = installed / "atlas" / "static" / "large_map"
    assert sorted(path.name for path in folder.iterdir()) == ["index.html", "large-map.css", "large-map.js"]


def test_app_serves_the_packaged_script_with_the_offline_settings():
    command = streamlit_command("127.0.0.1", 8765)
    assert command[1:4] == ["-m", "streamlit", "run"] and Path(command[4]).name == "app.py"
    assert Path(command[4]).parent == PROJECT / "atlas" / "ui"
    settings = dict(zip(command[5::2], command[6::2]))
    assert settings["--server.port"] == "8765" and settings["--browser.gatherUsageStats"] == "false"


def test_app_refuses_a_port_in_use(capsys):
    with socket.socket() as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", "--port", str(port), "--no-build"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"atlas app: error: Port {port} on localhost is already in use") and "Traceback" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("code, message", [("E99999999", "not of an English district"),
                                           ("E06000099", "E06000099 is not an authority the source files know")])
def test_app_refuses_an_unknown_authority_in_one_line(code, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_OUT_DIR", str(tmp_path))
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    assert main(["app", "--la", code, "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_port_numbers_out_of_range_are_refused():
    from atlas.errors import AtlasError
    with pytest.raises(AtlasError, match="not a port number"):
        check_port_free("localhost", 70000)
