"""The one progress reporter: per-process tallies of kept and rejected dialogues and audio seconds
per stage, printed to stderr as one line at most every ``every_s`` seconds.

A line gives the dialogues finished and their rate, the audio hours made (and per wall hour), an
ETA when the input count is known, then kept/rejected per stage, and any extra the caller adds
(the rewrite stage adds its LLM requests, retries and cache hits)::

    [run    42s] 12/40 dialogues (0.29/s), 0.040 h audio (3.4 h/wall-h), ETA 1m37s | kept/rejected: filter 12/3 ...

``run`` keeps one process-wide board (:data:`BOARD`) fed by every stage; a stage run on its own
(``duplexsynth synth ...``), a stage DoFn and the exporters each keep their own, labelled with
their name. With several worker processes each prints its own line (tagged with its pid) for the
part of the corpus it runs; the ETA then assumes the runner split the work evenly.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

from duplexsynth.schemas.arrow import STAGES

PROGRESS_EVERY_S = 5.0


class ProgressBoard:
    """Tallies per stage, printed as one line at most every ``every_s`` seconds (thread-safe).

    ``final_stage`` is the stage whose kept rows count as finished dialogues (``write`` for a
    whole run; by default the first stage counted, right for a board of one stage); rejected
    rows of every stage count as finished too. ``extra`` returns text appended to each line.
    """

    def __init__(
        self,
        label: str = "run",
        every_s: float = PROGRESS_EVERY_S,
        total: int | None = None,
        workers: int = 1,
        final_stage: str | None = None,
        extra: Callable[[], str] | None = None,
    ) -> None:
        self.label = label
        self.final_stage = final_stage
        self.extra = extra
        self.lock = threading.Lock()
        self.reset(every_s, total, workers)

    def reset(self, every_s: float, total: int | None = None, workers: int = 1) -> None:
        self.every_s = every_s
        self.total = total
        self.workers = max(1, workers)
        self.counts: dict[str, list[float]] = {}
        self.started = time.monotonic()
        self.last = self.started
        self.configured = False

    def configure(self, every_s: float, total: int | None, workers: int) -> None:
        """Settings from the launcher, once per process (workers start with defaults)."""
        with self.lock:
            if not self.configured:
                self.every_s, self.total, self.workers = every_s, total, max(1, workers)
                self.configured = True

    def add(self, stage: str, kept: int = 0, rejected: int = 0, audio_s: float = 0.0) -> None:
        """Count rows of ``stage``; print the line when ``every_s`` has passed since the last."""
        with self.lock:
            c = self.counts.setdefault(stage, [0, 0, 0.0])
            c[0] += kept
            c[1] += rejected
            c[2] += audio_s
            now = time.monotonic()
            if now - self.last < self.every_s:
                return
            self.last = now
            line = self.line(now)
        print(line, file=sys.stderr, flush=True)

    def _final(self) -> list[float]:
        stage = self.final_stage or next(iter(self.counts), "")
        return self.counts.get(stage, [0, 0, 0.0])

    def done(self) -> int:
        """Dialogues finished in this process: kept by the final stage, or rejected anywhere."""
        return int(self._final()[0] + sum(c[1] for c in self.counts.values()))

    def line(self, now: float) -> str:
        elapsed = max(1e-9, now - self.started)
        done = self.done()
        rate = done / elapsed
        audio_h = self._final()[2] / 3600.0
        pid = f" pid {os.getpid()}" if self.workers > 1 else ""
        head = f"[{self.label} {elapsed:6.0f}s{pid}] {done}"
        if self.total is not None:
            share = self.total / self.workers
            head += f"/{self.total}" if self.workers == 1 else f"/~{share:.0f}"
        head += f" dialogues ({rate:.2f}/s), {audio_h:.3f} h audio"
        head += f" ({audio_h / (elapsed / 3600.0):.1f} h/wall-h)"
        if self.total is not None and rate > 0:
            left = max(0.0, self.total / self.workers - done)
            head += f", ETA {duration(left / rate)}"
        order = list(STAGES) + [s for s in self.counts if s not in STAGES]
        parts = [
            f"{stage} {int(self.counts[stage][0])}/{int(self.counts[stage][1])}"
            for stage in order
            if stage in self.counts
        ]
        tail = self.extra() if self.extra is not None else ""
        return head + " | kept/rejected: " + " ".join(parts) + tail


def duration(seconds: float) -> str:
    """``42s``, ``3m07s`` or ``2h05m``."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


#: the board of ``duplexsynth run`` in this process (every stage's tallies)
BOARD = ProgressBoard("run", final_stage="write")
