"""Real parts for the tests: a uvicorn started from the Procfile, a redis-server on a
free port, a fresh PostgreSQL database, Chromium (started by bench/parts.py, which the
benchmark uses too).

Where a part is missing the test skips, unless WALL_REQUIRE_PARTS is set (CI sets
it): then a missing part is a failure, so nothing passes by skipping.
"""

from __future__ import annotations

import os

import pytest

from bench import parts
from bench.parts import (  # noqa: F401 (the tests import these from here)
    CHROMIUM,
    CHROMIUM_ARGS,
    POSTGRES_ADMIN_URL,
    ROOT,
    PartMissing,
    Server,
    free_port,
    wait_for,
)


def require_parts() -> bool:
    return os.environ.get("WALL_REQUIRE_PARTS", "").lower() in {"1", "true", "yes"}


def missing(part: str, why: str) -> None:
    """Skip for a missing part, or fail when CI demands every part."""
    message = f"{part} is not available: {why}"
    if require_parts():
        pytest.fail(message + " (WALL_REQUIRE_PARTS is set)")
    pytest.skip(message)


class RedisServer(parts.RedisServer):
    def __init__(self) -> None:
        try:
            super().__init__()
        except PartMissing as gone:
            missing(gone.part, gone.why)


class PostgresDatabase(parts.PostgresDatabase):
    def __init__(self) -> None:
        try:
            super().__init__()
        except PartMissing as gone:
            missing(gone.part, gone.why)


def chromium_path() -> str:
    try:
        return parts.chromium_path()
    except PartMissing as gone:
        missing(gone.part, gone.why)
        raise
