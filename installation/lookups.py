"""Lookups that many connections make at the same moment, made together.

After a restart every phone comes back within a second and says hello; each hello
asks the database who owns its client id. One query (and one database connection)
for all the hellos of a few milliseconds, instead of one each, is what keeps a
reconnect storm from queueing behind hundreds of new database connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

WINDOW_SECONDS = 0.005


class BatchedLookup(Generic[T]):
    """`await lookup(key)`: keys asked for within WINDOW_SECONDS share one `many` call."""

    def __init__(
        self,
        many: Callable[[list[str]], Awaitable[dict[str, T]]],
        default: Callable[[], T],
        window: float = WINDOW_SECONDS,
    ) -> None:
        self._many = many
        self._default = default
        self.window = window
        self._waiting: dict[str, list[asyncio.Future[T]]] = {}
        self._task: asyncio.Task | None = None
        self.calls = 0  # how many `many` calls were made (for tests)

    async def __call__(self, key: str) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        await asyncio.sleep(self.window)
        batch, self._waiting, self._task = self._waiting, {}, None
        self.calls += 1
        try:
            found = await self._many(list(batch))
        except Exception as error:
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        for key, futures in batch.items():
            for future in futures:
                if not future.done():
                    future.set_result(found.get(key, self._default()))
