"""The crowd benchmark: `python -m bench.crowd` (see docs/notes/bench.md)."""
