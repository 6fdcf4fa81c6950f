"""Where activities run: a pool of daemon threads, so activities that the workflow schedules
together run at the same time, and one that hangs can be given up on.

The worker decides how many run at once and when one has run too long; this module only runs
calls and hands their outcomes back, in the order they finish. A thread whose activity was
given up on keeps running it (Python cannot stop a thread); its outcome is dropped and the
pool starts another thread for the next activity. The threads are daemons, so a hung
activity never keeps the process from exiting.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable


class ActivityPool:
    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[int, Callable[[], Any]]] = queue.SimpleQueue()
        self.outcomes: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()
        self.threads = 0

    def submit(self, ident: int, call: Callable[[], Any]) -> None:
        """Run ``call()`` on a pool thread; ``(ident, its return value)`` then arrives on
        :attr:`outcomes`. ``call`` must not raise (the worker's calls catch everything)."""
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        if spawn:
            self.threads += 1
            threading.Thread(target=self._serve, name=f"wfcheck-activity-{self.threads}", daemon=True).start()
        self._jobs.put((ident, call))

    def _serve(self) -> None:
        while True:
            ident, call = self._jobs.get()
            self.outcomes.put((ident, call()))
            with self._lock:
                self._idle += 1
