"""Visible progress: each step prints when it starts and how long it took.

Timings are also kept in `TIMINGS` so `python -m workflows run` can write them
out for `make bench`.
"""

from __future__ import annotations

import contextlib
import sys
import time

TIMINGS: dict[str, float] = {}


@contextlib.contextmanager
def step(name: str):
    print(f"▶ {name}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        print(f"✗ {name} failed after {time.perf_counter() - start:.2f} s", file=sys.stderr)
        raise
    TIMINGS[name] = TIMINGS.get(name, 0.0) + time.perf_counter() - start
    print(f"✓ {name} {TIMINGS[name]:.2f} s", file=sys.stderr, flush=True)


def note(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
