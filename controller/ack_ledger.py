"""What a phone may be told is done: per client, the highest seq handled and the seqs
whose points still wait on the database. An ack covers a seq only once every drawn
message up to it is committed (docs/protocol.md, "Durability")."""

from __future__ import annotations

from collections import OrderedDict, deque


class ClientSeqs:
    """One client's sequence space on this process."""

    __slots__ = ("handled", "waiting")

    def __init__(self, handled: int = 0) -> None:
        self.handled = handled  # highest seq handled (drawn, dropped or refused)
        self.waiting: deque[int] = deque()  # drawn, not yet committed, ascending

    @property
    def durable(self) -> int:
        """The highest seq an ack may cover."""
        return self.waiting[0] - 1 if self.waiting else self.handled


class AckLedger:
    """Per-client seqs for the phones of this process, bounded for weeks of visitors."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._clients: OrderedDict[str, ClientSeqs] = OrderedDict()

    def get(self, client: str) -> ClientSeqs | None:
        return self._clients.get(client)

    def open(self, client: str, handled: int) -> ClientSeqs:
        """The client's seqs, starting at `handled` if this process did not know it
        (or raised to it: the phone or storage knows of later ones)."""
        seqs = self._clients.get(client)
        if seqs is None:
            seqs = self._clients[client] = ClientSeqs(handled)
            self._evict()
        elif handled > seqs.handled and not seqs.waiting:
            seqs.handled = handled
        self._clients.move_to_end(client)
        return seqs

    def handled(self, seqs: ClientSeqs, seq: int, stored: bool) -> None:
        """Message `seq` (the next one) was handled; `stored` if its points wait on storage."""
        seqs.handled = seq
        if stored:
            seqs.waiting.append(seq)

    def committed(self, client: str, seq: int) -> ClientSeqs | None:
        """The database has `client`'s message `seq`; returns the client's seqs."""
        seqs = self._clients.get(client)
        if seqs is None:
            return None
        waiting = seqs.waiting
        if waiting and waiting[0] == seq:
            waiting.popleft()
        else:  # a resend stored twice, or out of order after an archiver restart
            try:
                waiting.remove(seq)
            except ValueError:
                return None
        return seqs

    def _evict(self) -> None:
        # Never forget a client whose points wait on storage: its ack depends on them.
        while len(self._clients) > self.size:
            client, seqs = next(iter(self._clients.items()))
            if seqs.waiting:
                self._clients.move_to_end(client)
                return
            del self._clients[client]
