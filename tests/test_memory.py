"""`memory.Crowds`: one full collection once a crowd of sockets has left, not for everyday comings and goings,
and not again for the same crowd. The collection itself is `collect_leftovers`, run here for real."""

from __future__ import annotations

import asyncio

from liveboard.memory import CROWD, Crowds, collect_leftovers

AFTER = 0.05


def watch(steps: list[tuple[str, int]], wait: float = AFTER * 4, then: float = AFTER * 4) -> list[tuple[int, float]]:
    """Sockets joining (`"+"`) and leaving (`"-"`) in turn, each step a number of them and `wait` seconds after
    it; `then` seconds more before the process stops. The collections made."""
    made: list[tuple[int, float]] = []

    def collect() -> tuple[int, float]:
        made.append(collect_leftovers())
        return made[-1]

    async def evening() -> None:
        crowds = Crowds(collect, after=AFTER)
        for sign, count in steps:
            for _ in range(count):
                crowds.joined() if sign == "+" else crowds.left()
            await asyncio.sleep(wait)
        await asyncio.sleep(then)
        crowds.close()

    asyncio.run(evening())
    return made


def test_a_crowd_leaving_is_collected_after_once() -> None:
    made = watch([("+", 1500), ("-", 1500)])
    assert len(made) == 1
    freed, took = made[0]
    assert freed >= 0 and took >= 0


def test_everyday_comings_and_goings_are_not_a_crowd() -> None:
    # 199 fewer than the most: never a crowd, however long it goes on at that level.
    assert watch([("+", 1000), ("-", CROWD - 1), ("+", CROWD - 1), ("-", CROWD - 1)]) == []


def test_the_count_starts_again_from_where_the_crowd_left_it() -> None:
    # 1,500 leave: one collection. Then 100 come back and 150 go: 50 fewer than after the first crowd, no second.
    assert len(watch([("+", 1500), ("-", 1500), ("+", 100), ("-", 150)])) == 1
    # A second crowd after the first is collected too.
    assert len(watch([("+", 1500), ("-", 1500), ("+", 800), ("-", 800)])) == 2


def test_a_crowd_leaving_in_one_burst_is_one_collection() -> None:
    # Collected `after` seconds after the threshold is crossed, while the rest of the crowd is still leaving.
    assert len(watch([("+", 1500), ("-", CROWD), ("-", 1500 - CROWD)], wait=0)) == 1


def test_closing_cancels_a_collection_not_made_yet() -> None:
    assert watch([("+", 500), ("-", 500)], wait=0, then=0) == []
