"""Run durabletask programs unchanged on durabletask's own in-memory backend (the judge).

``python dt_judge.py PROGRAM.py [PROGRAM.py ...]`` starts ``durabletask.testing``'s backend on
a free port, points ``DURABLETASK_HOST`` at it, and runs each program as ``__main__`` (each
builds its own worker and client, as the official examples do). Everything the programs print
is captured; one JSON line per program: ``program``, ``printed`` (its lines) and ``result``
(the decoded JSON of its ``result: ...`` line).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import socket
import sys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def result_of(lines: list[str]) -> object:
    for line in lines:
        if line.startswith("result: "):
            return json.loads(line[len("result: ") :])
    return None


def main(programs: list[str]) -> int:
    from durabletask.testing import create_test_backend

    port = free_port()
    backend = create_test_backend(port=port)
    os.environ["DURABLETASK_HOST"] = f"localhost:{port}"
    try:
        for program in programs:
            sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
            captured = io.StringIO()
            # a script may end with exit()
            with contextlib.redirect_stdout(captured), contextlib.suppress(SystemExit):
                runpy.run_path(program, run_name="__main__")
            backend.reset()
            printed = captured.getvalue().splitlines()
            print(
                json.dumps(
                    {"program": os.path.basename(program), "printed": printed, "result": result_of(printed)}
                ),
                flush=True,
            )
    finally:
        backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
