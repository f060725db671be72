"""``atlas app``: start the Streamlit map app from the installed package.

    atlas app [--la CODE] [--port N] [--address HOST] [--source DIR] [--no-build]

The authority's atlas is built first when it is missing or out of date (as
``atlas build`` would), so the app opens on a map; then ``streamlit run`` serves
:mod:`atlas.ui.app` with the atlas's settings (nothing leaves the machine: no
usage statistics, no external address look-up). A port already in use and an
unknown authority are refused before anything starts.
"""

from __future__ import annotations

import os
import socket
import sys
from importlib.util import find_spec

from ..build import current
from ..codes import check_district_code
from ..config import DEFAULT_LA_ENV, default_district
from ..errors import AtlasError
from ..importer import MAX_UPLOAD_MB
from .options import add_la, add_source

HELP = "start the map app in the browser (builds the authority's atlas first if needed)"
DEFAULT_PORT = 8501
DEFAULT_ADDRESS = "localhost"
#: Streamlit settings the app always runs with (the same as the checkout's .streamlit/config.toml).
STREAMLIT_SETTINGS = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "browser.serverAddress": "localhost",
    "client.toolbarMode": "minimal",
    # the uploader refuses what the importer would refuse: the documented limit, in MB
    "server.maxUploadSize": str(MAX_UPLOAD_MB),
}


def add_arguments(parser) -> None:
    """The options of ``atlas app``."""
    add_la(parser, required=False,
           help_text="the authority the app opens on, e.g. E06000032 (default: $ATLAS_DEFAULT_LA, else Luton)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                        help=f"port to serve the app on (default {DEFAULT_PORT})")
    parser.add_argument("--address", default=DEFAULT_ADDRESS, metavar="HOST",
                        help=f"address to serve on (default {DEFAULT_ADDRESS}: this machine only)")
    add_source(parser)
    parser.add_argument("--no-build", action="store_true",
                        help="start at once; the app builds the atlas when it is first opened")


def run(args) -> int:
    """Check the port and the authority, build the atlas if needed, then serve the app until stopped."""
    la = check_district_code(args.la or default_district())
    check_port_free(args.address, args.port)
    if not args.no_build:
        built, how = current(la, args.source)
        print(f"{'Built' if how == 'built' else 'Using'} the atlas of {built.la_name} ({la}): {built.path}")
    env = dict(os.environ, **{DEFAULT_LA_ENV: la})
    if args.source:
        env["ATLAS_SOURCE_DIR"] = os.path.abspath(args.source)
    print(f"Serving the Health Equity Atlas at http://{args.address}:{args.port} (Ctrl+C stops it)", flush=True)
    command = streamlit_command(args.address, args.port)
    os.execve(command[0], command, env)  # Streamlit takes this process's place: stopping it stops the app
    return 0  # (not reached)


def streamlit_command(address: str, port: int) -> list[str]:
    """The ``streamlit run`` command line that serves the packaged app.

    Parameters
    ----------
    address : str
    port : int

    Returns
    -------
    list of str
    """
    script = find_spec("atlas.ui.app").origin  # the file to run (not imported here: that would load Streamlit)
    settings = dict(STREAMLIT_SETTINGS, **{"server.port": str(port), "server.address": address})
    flags = [item for key, value in settings.items() for item in (f"--{key}", value)]
    return [sys.executable, "-m", "streamlit", "run", script, *flags]


def check_port_free(address: str, port: int) -> None:
    """Raise :class:`AtlasError` unless ``port`` on ``address`` can be listened on.

    Parameters
    ----------
    address : str
    port : int

    Raises
    ------
    AtlasError
        If the port is out of range or already in use (the message says how to choose another).
    """
    if not 1 <= port <= 65535:
        raise AtlasError(f"--port {port} is not a port number: give one from 1 to 65535 (default {DEFAULT_PORT}).")
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AtlasError(f"--address {address!r} is not an address of this machine ({exc.strerror}).") from None
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        try:
            probe.bind(where)
        except OSError:
            raise AtlasError(f"Port {port} on {address} is already in use (is the atlas already running?): "
                             f"choose another with --port, e.g. atlas app --port {port + 1}.") from None
