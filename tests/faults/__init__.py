"""The fault suite (issue 12): the live path and storage under the faults a venue or a
PaaS produces, against real processes: uvicorn started from the Procfile
(tests.parts.Server), a redis-server of the test's own, PostgreSQL (a fresh database a
test). Loss is counted; speed is never asserted.

    .venv/bin/python -m pytest tests/faults -q        # the short forms (CI), ~3-4 min
    make chaos                                        # the long forms, a Markdown table

- `phone.py`: SimPhone, the one phone simulator: reconnects, resends unacknowledged
  messages with the same seqs, resends an open stroke's header on a new connection,
  paces itself below the message and ink limits (like static/controller/outbox.js).
- `audit.py`: the loss audit every test ends with (lost, gaps, phantoms, unsettled).
- `rigs.py`: the server's processes and memory, raw sockets that stop reading, a wall
  that counts frames, the database refusing connections, a crowd of phones.
- `scenarios.py`: each fault with its size as parameters, returning an Outcome; the
  tests assert on it, tests/faults/chaos.py prints it.

Every test asserts: 0 acknowledged segments lost, no gap in any stroke, nothing stored
that differs from what was acknowledged (every point, even in a tick the wall's budget
thinned for the walls), every phone settled, no `unknown_stroke` after a reconnect,
every connection released (/healthz's process.phones at 0 on every worker, no TCP connection left on
the server's port), and the growth of the server's RSS (its whole process tree) under
a bound.
"""
