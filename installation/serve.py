"""Serve the installation with the Procfile's web command.

`python -m installation.serve` runs the Procfile's web line as it is (the container's
start command). `python -m installation.serve --lan` (what `make run` and `make lan`
do) is the laptop deploy for a venue with no internet: debug off, a secret key kept
in a git-ignored file, plain http on the local network, migrations and static files
first, a curator account if there is none; it prints the address phones join at.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from installation.procfile import procfile_command

ROOT = Path(__file__).resolve().parent.parent
# Git-ignored and docker-ignored; WALL_SECRET_KEY_FILE moves it (the tests do).
SECRET_KEY_FILE = Path(os.environ.get("WALL_SECRET_KEY_FILE") or ROOT / ".secret_key")
LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
# Asked of Django directly, answered by the exit status: `manage.py shell -c` prints
# "N objects imported automatically" first (Django 5.2), so its output is no answer.
CURATOR_FOUND, CURATOR_NONE = 0, 3
HAS_CURATOR = (
    "import os, sys, django\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'installation.settings')\n"
    "django.setup()\n"
    "from django.contrib.auth import get_user_model\n"
    "found = get_user_model().objects.filter(is_superuser=True, is_active=True).exists()\n"
    f"sys.exit({CURATOR_FOUND} if found else {CURATOR_NONE})\n"
)


class CuratorCheckError(RuntimeError):
    """Whether a curator exists could not be found out (the database did not answer)."""


def lan_addresses() -> list[str]:
    """The IPv4 addresses other machines on the venue's network may reach this one at,
    the likeliest first."""
    found: list[str] = []
    # The address of the interface that routes outwards (no packet is sent). Venue
    # routers without internet still give a default route; a laptop that is itself
    # the hotspot may have none, hence the host name's addresses after it.
    for target in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((target, 1))
                found.append(probe.getsockname()[0])
            except OSError:
                pass
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        found += [str(info[4][0]) for info in infos]
    except OSError:
        pass
    usable = [a for a in dict.fromkeys(found) if not a.startswith(("127.", "0."))]
    return usable or ["127.0.0.1"]


def lan_address() -> str:
    """The address to announce to phones."""
    return lan_addresses()[0]


def secret_key_load(path: Path = SECRET_KEY_FILE) -> str:
    """The laptop's secret key: made once, kept (owner-only) so cookies survive restarts."""
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(50)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def lan_environment(
    base: Mapping[str, str],
    *,
    port: int,
    address: str,
    secret_key_file: Path = SECRET_KEY_FILE,
) -> dict[str, str]:
    """The environment for serving a LAN over plain http; what the caller set wins."""
    env = dict(base, PORT=str(port))
    env.setdefault("DJANGO_DEBUG", "0")
    if not env.get("DJANGO_SECRET_KEY"):
        env["DJANGO_SECRET_KEY"] = secret_key_load(secret_key_file)
    env.setdefault("PUBLIC_URL", f"http://{address}:{port}")
    # Plain http unless the operator put a TLS proxy in front and said so.
    env.setdefault("DJANGO_HTTPS", "1" if env["PUBLIC_URL"].startswith("https://") else "0")
    hostname = socket.gethostname()
    hosts = [h for h in env.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    for host in [*LOCAL_HOSTS, address, hostname, f"{hostname}.local"]:
        if host and host not in hosts:
            hosts.append(host)
    env["DJANGO_ALLOWED_HOSTS"] = ",".join(hosts)
    return env


def manage(env: Mapping[str, str], *args: str, capture: bool = False) -> str:
    """Run a management command in the environment the server will have."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def curator_exists(env: Mapping[str, str]) -> bool:
    """Is there an active superuser? Django answers in a child process with the
    server's environment, by exit status (no output is parsed)."""
    result = subprocess.run(
        [sys.executable, "-c", HAS_CURATOR],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode == CURATOR_FOUND:
        return True
    if result.returncode == CURATOR_NONE:
        return False
    raise CuratorCheckError(result.stderr.strip().splitlines()[-1:] or result.returncode)


def curator_offer(env: Mapping[str, str], port: int) -> None:
    """Create the first curator account: ask in a terminal, else say how."""
    try:
        if curator_exists(env):
            return
    except CuratorCheckError as error:
        print(f"\n  Could not check for a curator account: {error}\n", flush=True)
        return
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = python.relative_to(ROOT)
    later = f"{python} -m installation.serve --lan --create-curator"
    if sys.stdin.isatty():
        print("\n  No curator account yet: create one now (Ctrl-C to skip).\n", flush=True)
        try:
            manage(env, "createsuperuser")
            return
        except (subprocess.CalledProcessError, KeyboardInterrupt):
            pass
    print(
        f"\n  No curator account yet. Create one with:\n    {later}\n"
        f"  then sign in at http://localhost:{port}/admin/\n",
        flush=True,
    )


def banner(env: Mapping[str, str], port: int, others: list[str]) -> str:
    public = env.get("PUBLIC_URL") or f"http://localhost:{port}"
    lines = [
        "",
        f"  Phones draw at:   {public}/",
        f"  Put on the wall:  http://localhost:{port}/projector/   (fullscreen, F11)",
        f"  Printable poster: http://localhost:{port}/poster/",
        f"  Curator admin:    http://localhost:{port}/admin/",
        f"  PUBLIC_URL={public}",
    ]
    host = urlsplit(public).hostname
    also = [a for a in others if a != host]
    if also:
        lines.append(f"  (this machine is also at {', '.join(also)}; set PUBLIC_URL to choose)")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--lan", action="store_true", help="laptop deploy on the local network")
    parser.add_argument(
        "--create-curator", action="store_true", help="with --lan: create a curator and exit"
    )
    args = parser.parse_args(argv)
    env = dict(os.environ, PORT=str(args.port))
    # The Procfile names `uvicorn`: find the one beside this Python (an unactivated venv).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if args.lan:
        addresses = lan_addresses()
        env = lan_environment(env, port=args.port, address=addresses[0])
        manage(env, "migrate", "--noinput", "-v0")
        if args.create_curator:
            manage(env, "createsuperuser")
            return
        manage(env, "collectstatic", "--noinput", "-v0")
        curator_offer(env, args.port)
        print(banner(env, args.port, addresses), flush=True)
    # exec: the server gets the platform's signals itself (graceful shutdown, flush).
    os.execvpe("sh", ["sh", "-c", "exec " + procfile_command("web")], env)


if __name__ == "__main__":
    main()
