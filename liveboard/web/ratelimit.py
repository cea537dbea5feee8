"""Rate limits: the one table of them, for every write a participant can make and for the hosts' login.

A participant is known by the token in their cookie, so each action has a limit per token (`PER_PARTICIPANT`).
The numbers are several times what a person does at their busiest, and low enough that a script
replaying one cookie is slowed to a pace the server takes in its stride:

- `move` (join and leave share it): a person picks a session, changes their mind a few times, perhaps taps twice
  on slow wifi: 30 a minute is ten such minds changed in twenty seconds.
- `interest` and `support`: marking interest on ten pitches as fast as a thumb goes, and unmarking some, is about
  twenty taps in half a minute; 60 a minute leaves it room.
- `pitch`, `note`, `series-item`: each is typed; 20 a minute is one every three seconds. A note-taker (`take-note`,
  per key) types for a whole room, so gets 60.

A venue's wifi puts the whole hall behind one address, so a limit per address that counted every action would refuse
the room at a round start (a thousand joins in five seconds, then a fifth of them changing their mind and a tenth
leaving). The limit per address therefore counts only *new* participants: a token the limiter has not seen act
within the last hour (`SEEN`). A phone that behaves like a person is new once an hour and then known, so its later
actions never touch the address's budget; a script that drops its cookie (or mints fresh ones by loading the page)
is new on every request, and the address's budget of new participants is what stops it. That budget
(`NEW_PER_ADDRESS`) is 1,500 a minute, so a hall of a thousand first-timers starting a round at once goes through
with half as many again to spare, and 5,000 an hour, more distinct phones than any evening has behind one address,
which holds a cookie-dropping script to a trickle after its first minute. A token the address's budget refused is
forgotten again, so a refusal cannot be replayed with the same cookie to get past it. Pitches and series items also
have a smaller budget of new participants per address (`NEW_PER_ADDRESS_FOR`), since each lands in the hosts'
moderation queue: 60 a minute is a packed hall's pitch phase, and no more than a queue can be read.

Cost: a join is a round start's hot path. Each instance remembers whom it saw act (`Limiter.known`), so a known
participant's action costs the storage one call (its action's window); a new participant's, four (bench/ratelimit.py
measures them).

With several instances the limiter keeps its windows in Redis (the broadcast URL's server), so the limits are the
cluster's, not each instance's. While Redis is away the limiter fails open: an action goes through unlimited,
since refusing a whole evening is worse than an hour without limits, and a warning is logged at most once a
minute. After a failure Redis is left alone for a second, so a missing server costs no time per request.

Moving windows (the `limits` library): a refused person is told how many seconds until the oldest action in the
window leaves it, which is exactly when they can act again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.requests import Request

from liveboard.domain.errors import N_
from liveboard.web.windows import Windows

#: Failed logins. Per username: guessing one host's password is slow. Per address: one laptop trying many names
#: is slow too, while the few hosts behind a venue's shared address still get in after a typo or two.
LOGIN_PER_USERNAME = parse("10/minute")
LOGIN_PER_ADDRESS = parse("30/minute")

#: Each participant action's limit per participant (their token; a note-taker's key). The reasons are above.
PER_PARTICIPANT: dict[str, RateLimitItem] = {
    "pitch": parse("20/minute"),
    "interest": parse("60/minute"),
    "move": parse("30/minute"),
    "note": parse("20/minute"),
    "support": parse("60/minute"),
    "series-item": parse("20/minute"),
    "series-support": parse("60/minute"),
    "take-note": parse("60/minute"),
}
#: A participant not seen acting for this long counts as new again (once) against their address.
SEEN = parse("1/hour")
#: New participants per address, whatever they do: a full hall's round start fits with room to spare.
NEW_PER_ADDRESS = (parse("1500/minute"), parse("5000/hour"))
#: New participants per address for the actions that fill the hosts' moderation queue.
NEW_PER_ADDRESS_FOR: dict[str, RateLimitItem] = {"pitch": parse("60/minute"), "series-item": parse("60/minute")}

#: How long Redis is left alone after it failed, and how often its absence is logged.
OUTAGE_PAUSE = 1.0
WARN_EVERY = 60.0
#: Redis answers a limiter within a millisecond; past this it counts as away rather than slowing every action.
REDIS_TIMEOUT = 0.5
KEY_PREFIX = "liveboard-limits"
#: Participants `Limiter.known` remembers at most (a few MB); past it, the older half is forgotten (and asked again).
KNOWN_MAX = 50_000

ATTEMPTS = N_("Too many attempts. Wait a minute and try again.")

log = logging.getLogger("liveboard.web.ratelimit")
T = TypeVar("T")


class RateLimited(HTTPException):
    """429: `seconds` until the window lets this one through, for `Retry-After` and the message: `message`, or
    (None) "try again in so many seconds" (`web.errors.rate_limited`)."""

    def __init__(self, seconds: int, message: str | None = None) -> None:
        super().__init__(429, message or f"Try again in {seconds} s")
        self.seconds = seconds
        self.message = message


def storage_for(url: str) -> Storage:
    """Memory for one instance; the broadcast URL's Redis for several, so every instance counts the same."""
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("redis", "rediss", "unix"):
        return Windows()
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return RedisStorage(
        "async+" + ("redis+unix" + url[4:] if scheme == "unix" else url),
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        # No timeout per read and write: redis-py would run each write in a task of its own under `wait_for`
        # (a fifth of a limiter's call). `Limiter._ask` bounds the whole call instead.
        socket_timeout=None,
        socket_connect_timeout=REDIS_TIMEOUT,
        retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type]
    )


class Limiter:
    def __init__(self, url: str = "memory://") -> None:
        self.storage = storage_for(url)
        self.limiter = MovingWindowRateLimiter(self.storage)
        #: How long a call to the storage may take before it counts as away (the memory's never waits).
        self.timeout = REDIS_TIMEOUT if isinstance(self.storage, RedisStorage) else None
        #: Until when (monotonic) the storage is left alone after a failure; when its absence was last logged.
        self.away_until = 0.0
        self.warned_at = -math.inf
        #: Participants this instance saw act within `SEEN`'s window, and when: their actions then cost the storage
        #: one call (the action's window) instead of two.
        self.known: dict[str, float] = {}

    async def _ask(self, call: Callable[[], Awaitable[T]], fallback: T) -> T:
        """The storage's answer, or `fallback` (let it through) while the storage is away."""
        if self.away_until and time.monotonic() < self.away_until:
            return fallback
        try:
            async with asyncio.timeout(self.timeout):
                answer = await call()
        except Exception as error:
            now = time.monotonic()
            self.away_until = now + OUTAGE_PAUSE
            if now - self.warned_at >= WARN_EVERY:
                self.warned_at = now
                log.warning("rate limits are off while their storage is away: %s", error.__class__.__name__)
            return fallback
        self.away_until = 0.0
        return answer

    async def retry_after(self, item: RateLimitItem, *keys: str) -> int:
        """Whole seconds until `item`'s window for `keys` has room again (at least 1)."""
        stats = await self._ask(lambda: self.limiter.get_window_stats(item, *keys), None)
        return max(1, math.ceil(stats.reset_time - time.time())) if stats else 1

    async def check(self, item: RateLimitItem, *keys: str, message: str = ATTEMPTS) -> None:
        """Refuse with 429 when the limit is reached, without counting this attempt (see `count`)."""
        if not await self._ask(lambda: self.limiter.test(item, *keys), True):
            raise RateLimited(await self.retry_after(item, *keys), message)

    async def count(self, item: RateLimitItem, *keys: str) -> None:
        """Count an attempt that failed (a wrong password): only those bring the limit nearer."""
        await self._ask(lambda: self.limiter.hit(item, *keys), True)

    async def hit(self, item: RateLimitItem, *keys: str, message: str | None = None) -> None:
        """Count one attempt; past the limit, refuse with 429 and say when to try again."""
        if not await self._ask(lambda: self.limiter.hit(item, *keys), True):
            raise RateLimited(await self.retry_after(item, *keys), message)

    async def act(self, action: str, who: str, address: str) -> None:
        """Count one participant action (`PER_PARTICIPANT[action]`) by `who` from `address`; 429 past a limit.

        Only a participant new to the limiter counts against the address (see the module's docstring)."""
        now = time.time()
        seen = self.known.get(who)
        if seen is None or now - seen > SEEN.get_expiry():
            # One call both asks and marks: True the first time in the window (new), False after (known).
            new = await self._ask(lambda: self.limiter.hit(SEEN, "seen", who), None)
            if new:
                await self._count_new(action, who, address)
            if new is not None:
                self._know(who, now)
        await self.hit(PER_PARTICIPANT[action], action, who)

    async def _count_new(self, action: str, who: str, address: str) -> None:
        try:
            for item in NEW_PER_ADDRESS:
                await self.hit(item, "new", address)
            if action in NEW_PER_ADDRESS_FOR:
                await self.hit(NEW_PER_ADDRESS_FOR[action], "new", action, address)
        except RateLimited:
            # Refused by the address: still new next time, so retrying one cookie is no way round the budget.
            await self._ask(lambda: self.limiter.clear(SEEN, "seen", who), None)
            raise

    def _know(self, who: str, now: float) -> None:
        self.known.pop(who, None)
        self.known[who] = now
        if len(self.known) > KNOWN_MAX:
            for oldest in list(itertools.islice(self.known, KNOWN_MAX // 2)):
                del self.known[oldest]

    async def close(self) -> None:
        if isinstance(self.storage, RedisStorage):
            await self._ask(self.storage.bridge.storage.aclose, None)  # type: ignore[attr-defined]


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter(request: Request) -> Limiter:
    return request.app.state.limiter


async def act(request: Request, action: str, who: str) -> None:
    """A participant action from this request: counted, or refused with 429 (see `Limiter.act`)."""
    await limiter(request).act(action, who, client_key(request))
