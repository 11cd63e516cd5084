"""Serve the installation with the Procfile's web command, printing where phones and
the wall should go. `python -m installation.serve --lan` serves the local network."""

from __future__ import annotations

import argparse
import os
import socket
import sys

from installation.procfile import procfile_command


def lan_address() -> str:
    """The address other machines on the venue's network reach this one at."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--lan", action="store_true", help="announce the LAN address")
    args = parser.parse_args(argv)
    env = dict(os.environ, PORT=str(args.port))
    host = lan_address() if args.lan else "localhost"
    public = env.get("PUBLIC_URL") or f"http://{host}:{args.port}"
    if args.lan:
        env.setdefault("PUBLIC_URL", public)
        hosts = env.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
        env["DJANGO_ALLOWED_HOSTS"] = ",".join(filter(None, [hosts, host]))
    print(
        f"\n  Phones draw at:   {public}/\n"
        f"  Put on the wall:  http://localhost:{args.port}/projector/\n"
        f"  Curator admin:    http://localhost:{args.port}/admin/\n"
        + (f"  PUBLIC_URL={public}\n" if args.lan else ""),
        flush=True,
    )
    command = procfile_command("web")
    os.execvpe("sh", ["sh", "-c", command], env)


if __name__ == "__main__":
    sys.exit(main())
