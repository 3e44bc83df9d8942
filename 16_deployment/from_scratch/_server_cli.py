"""The command line both servers share: the same flags, the same start-up refusal and warning.

Both ``serve_http_numpy.py`` and ``library_impl/serve_fastapi.py`` listen on 127.0.0.1 unless
told otherwise, answer only the Host names of ``--allowed-hosts``, read their artefacts from
``--artefact-dir``, and refuse to start, in one line, when an artefact fails its checks.
"""

import argparse
import sys
import warnings
from pathlib import Path

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")


def server_parser(description: str, port: int, serve_help: str) -> argparse.ArgumentParser:
    """The flags both servers take: --serve, --host, --port, --allowed-hosts, --artefact-dir."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", action="store_true", help=serve_help)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--port", type=int, default=port, help=f"port to listen on (default {port})"
    )
    parser.add_argument(
        "--allowed-hosts",
        default=",".join(contract.DEFAULT_ALLOWED_HOSTS),
        help="comma-separated Host names served (default: %(default)s; '*' allows any)",
    )
    parser.add_argument(
        "--artefact-dir",
        type=Path,
        default=None,
        help="artefacts folder (default outputs/16_deployment)",
    )
    return parser


def load_or_exit(load, *args):
    """``load(*args)``; an ``ArtefactError`` ends the program with one line, not a traceback."""
    try:
        return load(*args)
    except contract.ArtefactError as exc:
        sys.exit(f"cannot start the service: {contract.one_line(exc)}")


def served_hosts(args: argparse.Namespace) -> list[str]:
    """The ``--allowed-hosts`` names, after a warning when ``--host`` is reachable from afar."""
    if warning := contract.loopback_warning(args.host):
        warnings.warn(warning, stacklevel=2)
    return [name.strip() for name in args.allowed_hosts.split(",") if name.strip()]
