"""The in-memory moving windows behind one instance's rate limits (`liveboard/web/windows.py`)."""

from __future__ import annotations

import asyncio
import time

from liveboard.web.windows import Windows


def test_a_window_takes_its_limit_then_refuses_and_says_since_when() -> None:
    windows = Windows()
    before = time.time()
    assert [asyncio.run(windows.acquire_entry("a", 2, 60)) for _ in range(3)] == [True, True, False]
    oldest, count = asyncio.run(windows.get_moving_window("a", 2, 60))
    assert count == 2 and before <= oldest <= time.time()
    assert asyncio.run(windows.acquire_entry("b", 2, 60))  # keys are apart


def test_times_past_the_window_no_longer_count_and_untouched_windows_are_swept() -> None:
    windows = Windows()
    asyncio.run(windows.acquire_entry("a", 5, 60))
    asyncio.run(windows.acquire_entry("a", 5, 60))
    assert windows._window("a", 60, time.time() + 61) == []
    asyncio.run(windows.acquire_entry("c", 5, 3600))
    windows._sweep(time.time() + 120)  # "a" is past its minute; "c" counts for an hour
    assert set(windows.windows) == {"c"}


def test_asking_about_a_key_leaves_nothing_behind() -> None:
    windows = Windows()
    assert asyncio.run(windows.get_moving_window("never", 1, 3600))[1] == 0
    assert windows.windows == {}
    asyncio.run(windows.acquire_entry("a", 1, 60))
    asyncio.run(windows.clear("a"))
    assert windows.windows == {}
