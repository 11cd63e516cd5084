"""What the Mixer mixes and the wall receives: accepted segments and frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from core.messages import Point

PROJECTOR_GROUP = "projector"


def segment_key(client: str, seq: int) -> str:
    """A segment's identity on the wire and in the sheet: `client:seq`."""
    return f"{client}:{seq}"


def stroke_key(client: str, stroke: int) -> str:
    """A stroke's identity on the wire and in the sheet: `client:stroke`."""
    return f"{client}:{stroke}"


@dataclass(slots=True)
class AcceptedSegment:
    """One phone message's points, accepted and waiting for the next tick."""

    device: str
    client: str
    seq: int
    stroke: int
    color: str
    width: float
    points: tuple[Point, ...] | list[Point]
    is_start: bool
    is_end: bool
    accepted_at: float  # epoch seconds, for storage

    @property
    def key(self) -> str:
        return segment_key(self.client, self.seq)

    def as_wire(self) -> dict:
        return {
            "key": self.key,
            "stroke": stroke_key(self.client, self.stroke),
            "device": self.device,
            "color": self.color,
            "width": self.width,
            "points": self.points,
            "start": self.is_start,
            "end": self.is_end,
        }


@dataclass(frozen=True, slots=True)
class HiddenStroke:
    """A phone's undo: its stroke is hidden once the segments before it are stored.
    `seq` is the undo message's own (its ack waits for the hide's commit)."""

    client: str
    seq: int
    stroke: int

    @property
    def key(self) -> str:
        return stroke_key(self.client, self.stroke)


@dataclass(slots=True)
class StoredBatch:
    """A frame's segments on their way to the database, and the strokes its phones
    took back (hidden after the segments are written, in the same transaction)."""

    sheet: int
    origin: str
    frame_seq: int
    segments: list[AcceptedSegment]
    hidden: list[HiddenStroke] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.segments)

    def acked(self) -> Iterator[tuple[str, int]]:
        """(client, seq) of every message whose ack waits for this batch's commit."""
        for segment in self.segments:
            yield segment.client, segment.seq
        for undo in self.hidden:
            yield undo.client, undo.seq


@dataclass(frozen=True, slots=True)
class PlainBatch:
    """A frame on its way to the archiver process: already the pipe's bytes.

    A frame waits a few hundred ms for its commit. As objects, every accepted segment
    outlived the collector's young generations and reached the oldest, and at 300 phones
    that set off a full collection every few seconds, 50-100 ms with the event loop
    stopped, finding nothing to free. Nested tuples of plain values did not avoid it:
    the collector untracks one level of tuples a pass. Bytes and flat tuples of strings
    and ints it never keeps."""

    frame_seq: int
    size: int
    oldest: float | None  # when its first segment was accepted (epoch seconds)
    wire: bytes  # JSON of batch_lists' item for this frame
    clients: tuple[str, ...]  # with seqs: the messages whose acks wait for the commit
    seqs: tuple[int, ...]

    @classmethod
    def of(cls, batch: StoredBatch) -> PlainBatch:
        (wire,) = batch_lists([batch])
        acked = list(batch.acked())
        return cls(
            frame_seq=batch.frame_seq,
            size=len(batch.segments),
            oldest=batch.segments[0].accepted_at if batch.segments else None,
            wire=orjson.dumps(wire),
            clients=tuple(client for client, _ in acked),
            seqs=tuple(seq for _, seq in acked),
        )

    def acked(self) -> Iterator[tuple[str, int]]:
        """(client, seq) of every message whose ack waits for this batch's commit."""
        return zip(self.clients, self.seqs, strict=True)


def batch_lists(batches: Iterable[StoredBatch]) -> list[list]:
    """Frames' segments as plain lists: what crosses the archiver's pipe and what
    storage turns into rows. [[sheet, origin, frame_seq, [[device, client, seq, stroke,
    color, width, points, is_start, is_end, accepted_at], ...]], ...], with a fifth
    item, [[client, seq, stroke], ...], on a frame that hides strokes."""
    return [
        [
            batch.sheet,
            batch.origin,
            batch.frame_seq,
            [
                [s.device, s.client, s.seq, s.stroke, s.color, s.width, s.points,
                 s.is_start, s.is_end, s.accepted_at]
                for s in batch.segments
            ],
            *([[[h.client, h.seq, h.stroke] for h in batch.hidden]] if batch.hidden else []),
        ]
        for batch in batches
    ]  # fmt: skip


class BatchSink(Protocol):
    """Where the Mixer hands each frame for storage (SegmentWriter, or the Archiver)."""

    def submit(self, batch: StoredBatch) -> None: ...


def encode_frame(
    *, origin: str, seq: int, sheet: int, time_ms: int, segments: list[AcceptedSegment]
) -> str:
    """Serialise a frame once; every wall consumer forwards the same text."""
    return orjson.dumps(
        {
            "type": "frame",
            "origin": origin,
            "seq": seq,
            "sheet": sheet,
            "time": time_ms,
            "segments": [segment.as_wire() for segment in segments],
        }
    ).decode()


def encode(message: dict) -> str:
    return orjson.dumps(message).decode()
