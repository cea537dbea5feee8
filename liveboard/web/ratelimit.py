"""Rate limits on the doors that invite abuse: guessing the hosts' password, flooding the pitch queue.

The `limits` library keeps moving windows in memory; a cluster would point it at Redis instead.
"""

from __future__ import annotations

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.requests import Request

from liveboard.domain.errors import N_

#: Failed logins. Per username: guessing one host's password is slow. Per address: one laptop trying many names
#: is slow too, while the few hosts behind a venue's shared address still get in after a typo or two.
LOGIN_PER_USERNAME = parse("10/minute")
LOGIN_PER_ADDRESS = parse("30/minute")
PITCH = parse("20/minute")
#: A venue's wifi puts hundreds of phones behind one address: this only stops a script that drops cookies.
PITCH_PER_ADDRESS = parse("60/minute")


class Limiter:
    def __init__(self) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, item: RateLimitItem, *keys: str) -> None:
        """Refuse with 429 when the limit is reached, without counting this attempt (see `count`)."""
        if not self.limiter.test(item, *keys):
            raise HTTPException(429, N_("Too many attempts. Wait a minute and try again."))

    def count(self, item: RateLimitItem, *keys: str) -> None:
        """Count an attempt that failed (a wrong password): only those bring the limit nearer."""
        self.limiter.hit(item, *keys)

    def hit(self, item: RateLimitItem, *keys: str) -> None:
        """Count one attempt; past the limit, refuse with 429 and say when to try again."""
        if not self.limiter.hit(item, *keys):
            raise HTTPException(429, N_("Too many attempts. Wait a minute and try again."))


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter(request: Request) -> Limiter:
    return request.app.state.limiter
