"""Read the Procfile, so `make run`, the tests and the benchmark start the server
exactly as the PaaS does."""

from __future__ import annotations

from pathlib import Path

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def procfile_commands(path: Path = PROCFILE) -> dict[str, str]:
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def procfile_command(name: str, path: Path = PROCFILE) -> str:
    return procfile_commands(path)[name]
