"""Run durabletask programs unchanged on durabletask's own in-memory backend (the judge).

``python dt_judge.py PROGRAM.py [PROGRAM.py ...]`` starts ``durabletask.testing``'s backend on
a free port, points ``DURABLETASK_HOST`` at it, and runs each program as ``__main__`` (each
builds its own worker and client, as the official examples do). Everything the programs print
goes to stdout, each program's output after a ``=== PROGRAM`` line.
"""

from __future__ import annotations

import os
import runpy
import socket
import sys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def main(programs: list[str]) -> int:
    from durabletask.testing import create_test_backend

    port = free_port()
    backend = create_test_backend(port=port)
    os.environ["DURABLETASK_HOST"] = f"localhost:{port}"
    try:
        for program in programs:
            print(f"=== {os.path.basename(program)}", flush=True)
            sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
            runpy.run_path(program, run_name="__main__")
            sys.stdout.flush()
            backend.reset()
    finally:
        backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
