"""Progress of the model call in flight, so a front end can show that a slow model is working instead of silence.

Backends that can see their own generation (the embedded model counts tokens as they are sampled) report into the
process-wide `MODEL_PROGRESS`; front ends read it (`webagent run` redraws a status line, bench's status line shows
it). Backends that cannot (an HTTP endpoint) still mark the call's start and end, so the elapsed time is known.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO


@dataclass
class CallProgress:
    """A snapshot of the call in flight: what it is for, how long it has run, tokens generated so far."""

    purpose: str
    seconds: float
    generated: int = 0  # tokens sampled so far; 0 when the backend cannot tell

    def line(self) -> str:
        """One short human line, e.g. `model working: 4.2 s, 12 tokens`."""
        parts = [f"model working ({self.purpose}): {self.seconds:.1f} s"]
        parts.append(f"{self.generated} tokens" if self.generated else "reading the prompt")
        return ", ".join(parts)


class ModelProgress:
    """Thread-safe holder of the current call's progress (backends run blocking calls in worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: float | None = None
        self._purpose = ""
        self._generated = 0
        self.ended = threading.Event()  # set when a call ends, so a status line is cleared at once

    def begin(self, purpose: str = "policy") -> None:
        with self._lock:
            self._start, self._purpose, self._generated = time.monotonic(), purpose, 0

    def token(self) -> None:
        with self._lock:
            self._generated += 1

    def end(self) -> None:
        with self._lock:
            self._start = None
        self.ended.set()

    def current(self) -> CallProgress | None:
        """The call in flight, or None between calls."""
        with self._lock:
            if self._start is None:
                return None
            return CallProgress(self._purpose, time.monotonic() - self._start, self._generated)


MODEL_PROGRESS = ModelProgress()


class ProgressTicker:
    """While a model call runs, show it on `stream`: on a terminal a status line redrawn in place once the call has
    run `after` seconds; otherwise (a log) one plain line after `log_after` seconds and then every `every` seconds,
    so logs stay readable. A daemon thread, so it works whatever the event loop is doing; a context manager."""

    def __init__(self, stream: TextIO | None = None, *, after: float = 1.0, log_after: float = 10.0,
                 every: float = 30.0, progress: ModelProgress = MODEL_PROGRESS) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.after = after if self.tty else log_after
        self.every, self.progress = every, progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webagent-progress", daemon=True)
        self._shown = False  # a status line is on the terminal and must be cleared
        self._last_plain: float | None = None  # when the call in flight was last shown as a plain line

    def __enter__(self) -> ProgressTicker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._clear()

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False

    def tick(self) -> None:
        """Show or clear the status once (the thread calls it twice a second)."""
        now = self.progress.current()
        if now is None or now.seconds < self.after:
            self._clear()
            self._last_plain = None
            return
        if self.tty:
            self.stream.write("\r\x1b[2K" + now.line())
            self._shown = True
        elif self._last_plain is None or now.seconds - self._last_plain >= self.every:
            self.stream.write(now.line() + "\n")
            self._last_plain = now.seconds
        self.stream.flush()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.progress.ended.wait(0.5):
                self.progress.ended.clear()
            self.tick()


__all__ = ["MODEL_PROGRESS", "CallProgress", "ModelProgress", "ProgressTicker"]
