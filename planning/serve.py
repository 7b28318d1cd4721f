"""Start the browser app on a warm server: ``planning app`` (what ``make run`` calls).

``streamlit run`` imports nothing and loads nothing until the first browser connects, so
the first planner to open the page waited for folium, pandas, geopandas and the demo
township (about 3 s on a cold machine, more than half of the first render). Here the
server process does that work before it starts listening; the app's sessions then share
the warm modules and the demo project (:func:`planning.load.shared_demo`).

Streamlit on its own listens on every network interface, with no login. ``planning app``
listens on this computer only (``127.0.0.1``) unless told otherwise (``--address 0.0.0.0``
or Streamlit's own ``--server.address``), and says so when it starts: an office shares the
app behind a reverse proxy that asks for a password (README, "Sharing the app in an office").
"""

from __future__ import annotations

import ipaddress
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ValidationError
from .i18n import Message, t

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def warm() -> float:
    """Import the app's modules and load the demo with today's layout; returns seconds taken."""
    start = time.perf_counter()
    # not streamlit_folium: it registers its component with the runtime that imports it, and
    # the runtime starts after this (imported here, its map would be missing: a 404)
    import folium.plugins  # noqa: F401 - imported for the app's first session (streamlit_folium needs it)

    from . import app, maps, report  # noqa: F401
    from .load import shared_demo
    from .scenario import baseline

    baseline(shared_demo(), "nearest")
    return time.perf_counter() - start


#: Where the app listens unless told otherwise: this computer only.
LOCAL = "127.0.0.1"
#: Streamlit's port unless ``--server.port`` says another.
PORT = 8501


def streamlit_option(args: Sequence[str], name: str) -> str | None:
    """The value given to Streamlit's option ``name`` (``--name value`` or ``--name=value``), the last one given."""
    found = None
    for k, arg in enumerate(args):
        if arg == f"--{name}" and k + 1 < len(args):
            found = args[k + 1]
        elif arg.startswith(f"--{name}="):
            found = arg.split("=", 1)[1]
    return found


def is_local(address: str) -> bool:
    """Whether ``address`` can be reached from this computer only (loopback, or ``localhost``)."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name: it may be any interface
        return False


def server_args(streamlit_args: Sequence[str] = (), *, address: str | None = None) -> list[str]:
    """Streamlit's options: ``streamlit_args`` with the address to listen on added (``address``,
    else :data:`LOCAL`) unless they give ``--server.address`` themselves (theirs is kept)."""
    args = list(streamlit_args)
    if streamlit_option(args, "server.address") is None:
        args += ["--server.address", address or LOCAL]
    return args


def where(args: Sequence[str], *, lang: str | None = None) -> str:
    """What the planner is told when the server starts: where the app can be opened, and
    either how to let the office in (listening locally) or that anyone who reaches the
    computer can open it, with no login (listening on the network)."""
    address = streamlit_option(args, "server.address") or LOCAL
    port = streamlit_option(args, "server.port") or str(PORT)
    if is_local(address):
        return t("cli.app_local", lang, url=f"http://{address}:{port}")
    return t("cli.app_exposed", lang, address=address, port=port)


def main(streamlit_args: Sequence[str] = (), *, address: str | None = None) -> int:
    """Warm up, then hand over to ``streamlit run streamlit_app.py`` with ``streamlit_args``,
    listening on ``address`` (this computer only when None; ``0.0.0.0``: every interface)."""
    if not APP.exists():
        raise ValidationError(Message("error.no_app_script", path=str(APP)))
    args = server_args(streamlit_args, address=address)
    print(t("cli.warming", seconds=f"{warm():.1f}"), flush=True)
    print(where(args), flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *args]
    return cli.main()
