"""Moving windows in this process's memory: the `limits` storage for one instance.

`limits`' own memory storage sweeps every key it holds on a timer that restarts 10 ms after each action (the
async one with a thread hop per key), so its cost grows with the number of participants: at a round start, a
thousand tokens' windows swept a hundred times a second. Here each window is a list of its actions' times,
trimmed when its key is touched, so an action costs the same with ten participants or ten thousand; keys left
untouched are dropped by a sweep at most once a minute. Lists, not deques: a participant's window holds a few
times, and an empty list is a tenth of an empty deque's size, for thousands of participants.
"""

from __future__ import annotations

import bisect
import time

from limits.aio.storage import MovingWindowSupport, Storage

#: Seconds between sweeps of windows nobody touched (their times all past).
SWEEP_EVERY = 60.0


class Windows(Storage, MovingWindowSupport):
    STORAGE_SCHEME = None

    def __init__(self) -> None:
        super().__init__()
        #: Per key: the times of the actions in its window, oldest first, and how long they count.
        self.windows: dict[str, tuple[list[float], int]] = {}
        self.swept = time.time()

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _window(self, key: str, expiry: int, now: float) -> list[float]:
        if now - self.swept > SWEEP_EVERY:
            self._sweep(now)
        found = self.windows.get(key)
        if found is None:
            found = self.windows[key] = ([], expiry)
        times = found[0]
        # Oldest first: the times past the window are a prefix, and never count again.
        if times and times[0] <= now - expiry:
            del times[: bisect.bisect_right(times, now - expiry)]
        return times

    def _sweep(self, now: float) -> None:
        self.swept = now
        for key, (times, expiry) in list(self.windows.items()):
            if not times or times[-1] <= now - expiry:
                del self.windows[key]

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = time.time()
        times = self._window(key, expiry, now)
        if len(times) + amount > limit:
            return False
        times.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        if key not in self.windows:  # asking makes no window: a test of a new token leaves nothing behind
            return now, 0
        times = self._window(key, expiry, now)
        return (times[0], len(times)) if times else (now, 0)

    async def clear(self, key: str) -> None:
        self.windows.pop(key, None)

    async def reset(self) -> int | None:
        count = len(self.windows)
        self.windows.clear()
        return count

    async def check(self) -> bool:
        return True

    # Counters (fixed and sliding windows) are not used: LiveBoard's limits are moving windows.
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError

    async def get(self, key: str) -> int:
        raise NotImplementedError

    async def get_expiry(self, key: str) -> float:
        raise NotImplementedError
