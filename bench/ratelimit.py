"""What a participant action's rate-limit check costs: µs per `Limiter.act`, memory storage and Redis.

    .venv/bin/python bench/ratelimit.py                          # memory only
    .venv/bin/python bench/ratelimit.py --redis redis://127.0.0.1:6379/0

Each check is a known participant's join (`move`), the round start's hot path: `SEEN` tested, the action's window
hit. A new participant's first action costs three hits more (the address's budgets, then `SEEN`), measured apart.
Wall time and this process's CPU time per check, one check at a time on one event loop (Redis: a loopback
round trip per call, and Redis's own CPU is not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time

from liveboard.web.ratelimit import Limiter


async def measure(url: str, checks: int) -> None:
    limiter = Limiter(url)
    tokens = [secrets.token_hex(16) for _ in range(checks)]
    start, cpu = time.perf_counter(), time.process_time()
    for number, token in enumerate(tokens):  # first action of each: new participants, from addresses of 250
        await limiter.act("move", token, f"10.0.0.{number // 250}")
    new = (time.perf_counter() - start) / checks * 1e6, (time.process_time() - cpu) / checks * 1e6
    start, cpu = time.perf_counter(), time.process_time()
    for token in tokens:  # a second action: known participants, the common case
        await limiter.act("move", token, "10.0.0.1")
    known = (time.perf_counter() - start) / checks * 1e6, (time.process_time() - cpu) / checks * 1e6
    print(
        f"{url:30} known participant {known[0]:6.1f} µs/check ({known[1]:5.1f} µs CPU)   "
        f"new participant {new[0]:6.1f} µs/check ({new[1]:5.1f} µs CPU)"
    )
    await limiter.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis", help="also measure with this Redis URL")
    parser.add_argument("--checks", type=int, default=1000)
    args = parser.parse_args()
    for url in ["memory://", *([args.redis] if args.redis else [])]:
        asyncio.run(measure(url, args.checks))


if __name__ == "__main__":
    main()
