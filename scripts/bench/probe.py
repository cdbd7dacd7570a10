"""How fast this machine runs Python right now: figures of runs on different days compare only through it
(the same kind of machine has been seen 2.4x slower from one session to the next)."""

import time

LOOP = 5_000_000


def python_loop_ms(repeats: int = 3) -> float:
    """Best time of `repeats` runs of a pure-Python loop of LOOP additions, in ms."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        total = 0
        for i in range(LOOP):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)
