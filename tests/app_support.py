"""Support for the app's tests and benchmark: a test copy of an atlas, and driving the app in chromium.

:func:`write_test_atlas` writes a copy of a built atlas with the awkward cases the
app must survive (an area named like a script, a constant layer, a layer with
every value missing) into an output folder the app can be pointed at.
:func:`running_app` starts the app as a user does (``atlas app``) on a free localhost port
(with the given output folder) and stops it afterwards; :func:`launch` starts
chromium through playwright without downloading a browser; the other helpers
operate the page as a user would (choose an option in a labelled select box)
and wait for the map script to report a drawn map (``window.atlasRendered``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from atlas import store
from atlas.model import Atlas

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"
#: The name given to one area of the test copy: the app must show it as text and run nothing.
SCRIPT_NAME = "<script>alert(1)</script>"
TEST_THEME = "Test cases"


def write_test_atlas(built: Atlas, out_dir: Path, geography: str = "lsoa11") -> tuple[Path, str]:
    """Write a copy of ``built`` with awkward cases into ``out_dir/atlas``, for the app to open.

    The copy has, on ``geography``: the area nearest the district's centre
    renamed to :data:`SCRIPT_NAME`, a layer ``test_constant`` (every area 5.0)
    and a layer ``test_missing`` (every value missing), both in the theme
    :data:`TEST_THEME`; and its first GP practice (``gp_practices``, where it
    has any) renamed to :data:`SCRIPT_NAME`. ``built`` itself is not changed.

    Returns
    -------
    out_dir, code
        The folder and the code of the renamed area.
    """
    frame = built.table(geography).copy()
    centre = frame.geometry.union_all().centroid
    code = frame.geometry.centroid.distance(centre).idxmin()
    frame.loc[code, "name"] = SCRIPT_NAME
    points = dict(built.points)
    if len(points.get("gp_practices", [])):
        points["gp_practices"] = points["gp_practices"].copy()
        points["gp_practices"].iloc[0, points["gp_practices"].columns.get_loc("name")] = SCRIPT_NAME
    copy = dataclasses.replace(built, geographies={**built.geographies, geography: frame}, points=points, path=None)
    for layer, values, label in (("test_constant", np.full(len(frame), 5.0), "Constant test layer"),
                                 ("test_missing", np.full(len(frame), np.nan), "All-missing test layer")):
        meta = {"label": label, "kind": "value", "units": "units", "higher_is": "neutral", "theme": TEST_THEME,
                "description": f"{label} made by the app tests.", "period": "test", "decimals": 1,
                "source_title": "App tests", "publisher": "the tests", "licence": "none",
                "attribution": "Test data.", "method": "as made", "native_geography": geography,
                "boundary_attribution": built.layer(built.layers_on(geography)["layer"].iloc[0],
                                                    geography)["boundary_attribution"]}
        copy = copy.with_layer(geography, layer, pd.DataFrame({"value": values}, index=frame.index), meta)
    store.save(copy, Path(out_dir) / "atlas")
    return Path(out_dir), code


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(out_dir: Path | None = None, timeout: float = 60.0, log: Path | None = None):
    """Run the app with ``streamlit run`` on a free port; yield its URL.

    Parameters
    ----------
    out_dir : path, optional
        ``ATLAS_OUT_DIR`` for the app (built atlases are read from ``out_dir/atlas``).
    timeout : float
        Seconds to wait for the server to answer its health check.
    log : path, optional
        File for the server's output (discarded otherwise).
    """
    port = free_port()
    env = dict(os.environ)
    if out_dir is not None:
        env["ATLAS_OUT_DIR"] = str(out_dir)
    env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    command = [sys.executable, "-m", "atlas", "app", "--port", str(port), "--address", "127.0.0.1", "--no-build"]
    output = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            output.close()


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {process.returncode} before answering at {url}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer at {url} within {timeout} s")


def launch(playwright):
    """Chromium from Debian (no browser download), headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def map_frame(page, timeout: float = 60_000):
    """The map's frame (streamlit-folium's component), once it exists."""
    return page.wait_for_selector(MAP_FRAME, timeout=timeout, state="attached").content_frame()


def wait_rendered(frame, layer: str | None = None, after: float = 0, timeout: float = 60_000) -> dict:
    """Wait until the map script has drawn (``layer``, and later than ``after`` in ms since the epoch)."""
    condition = "r => window.atlasRendered && (!r.layer || window.atlasRendered.layer === r.layer) " \
                "&& window.atlasRendered.at >= r.after"
    frame.wait_for_function(condition, arg={"layer": layer, "after": after}, timeout=timeout, polling=20)
    return frame.evaluate("window.atlasRendered")


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the app has finished its run (Streamlit fades the elements of a run still going: an accessibility
    scan then reads faded text)."""
    page.wait_for_function("() => !document.querySelector('[data-testid^=\"stStatusWidgetRunning\"]') && "
                           "!document.querySelector('[data-stale=\"true\"]')", timeout=timeout)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` (found by its visible label, typed, clicked)."""
    offered(page, label, option).click()


def offered(page, label: str, option: str):
    """Type ``option`` into the select box labelled ``label``; its entry in the list, shown but not yet clicked."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    found = page.get_by_role("option", name=option, exact=True)
    found.wait_for()
    return found
