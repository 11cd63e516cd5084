"""Hellos that arrive together share one database lookup (installation/lookups.py)."""

import asyncio

import pytest

from installation.lookups import BatchedLookup


async def test_keys_asked_together_share_one_call_and_each_gets_its_own_answer():
    asked: list[list[str]] = []

    async def many(keys: list[str]) -> dict[str, list[int]]:
        asked.append(sorted(keys))
        return {key: [len(key)] for key in keys if key != "unknown"}

    lookup = BatchedLookup(many, default=list)
    answers = await asyncio.gather(*(lookup(k) for k in ["a", "bb", "ccc", "bb", "unknown"]))
    assert answers == [[1], [2], [3], [2], []]
    assert asked == [["a", "bb", "ccc", "unknown"]], "one call for the five"
    assert await lookup("dddd") == [4] and len(asked) == 2, "a later key, a later call"


async def test_a_failed_call_fails_every_key_it_carried():
    async def many(keys: list[str]) -> dict[str, int]:
        raise ConnectionError("the database is away")

    lookup = BatchedLookup(many, default=int)
    results = await asyncio.gather(lookup("a"), lookup("b"), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    with pytest.raises(ConnectionError):
        await lookup("c")
