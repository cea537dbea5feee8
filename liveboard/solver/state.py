"""A plan with its score kept up to date move by move, so a move is judged in a few operations, not a recount.

The score has a simpler form than its three measures. A participant u's placed wishes are Σ_r k(u, r), so

    missed + unplaced_interest = Σ_u Σ_r max(0, k(u, r) − 1) + (wishes − Σ_u Σ_r k(u, r))
                               = wishes − Σ_u Σ_r min(1, k(u, r)),

and score = wishes − cover + overflow, where `cover` counts the (participant, round) pairs in which the
participant has at least one wish placed: in the end every round can serve each person at most once.

Kept per (participant, round): `count` = k(u, r). Kept per (pitch, round), over the pitch's fans:
`gain` = how many have nothing in that round yet (what placing the pitch there would cover) and `single` =
how many have exactly one wish there (what taking the pitch out of that round would uncover, when it is that
one). They change only when a count crosses 0↔1 or 1↔2, so a move costs about the sum of its fans' wishes,
and judging one costs O(1) plus O(log rooms) for the overflow of the two rounds it touches (`_over_with`).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from itertools import accumulate

from liveboard.solver.instance import UNPLACED, Instance, Plan


class State:
    """The running score of a plan over the movable pitches; pins are counted and never moved."""

    def __init__(self, instance: Instance, plan: Plan) -> None:
        self.instance = instance
        t = self.t = max(1, instance.n_rounds)
        self.plan = instance.start_plan()
        self.count = [0] * (instance.n_people * t)
        self.gain = [n for n in instance.interest for _ in range(t)]
        self.single = [0] * (instance.n_pitches * t)
        #: Per pitch, the pitches that share fans with it, and those fans.
        self.shared = instance.shared
        self.cover = 0
        self.wishes = sum(instance.interest)
        #: Per round, the seats of its free rooms, biggest first, and a room of 0 seats past the last.
        self.seats = [[instance.capacity[room] for room in rooms] + [0] for rooms in instance.free_rooms]
        #: Per round, minus the interest of its movable pitches, ascending: biggest interest first, for bisect.
        self.neg: list[list[int]] = [[] for _ in range(instance.n_rounds)]
        #: Per round, running sums of overflow (see `_over_with`).
        self.prefix: list[tuple[list[int], list[int], list[int]]] = [([0], [0], [0]) for _ in range(instance.n_rounds)]
        #: Per round, its movable pitches.
        self.members: list[list[int]] = [[] for _ in range(instance.n_rounds)]
        self.over = [0] * instance.n_rounds
        self.overflow = 0
        #: Per round, the hosts with a pitch in it (pins included): the host rule allows one.
        self.hosted: list[set[int]] = [set(hosts) for hosts in instance.pinned_hosts]
        #: The pins' own overflow: their rooms are fixed, so it is a constant of the score.
        pins = instance.pinned.items()
        self.fixed = sum(max(0, instance.interest[p] - instance.capacity[room]) for p, (room, _r) in pins)
        for p, (_room, rnd) in instance.pinned.items():
            self._enter(p, rnd)
        for p in instance.movable:
            if plan[p] != UNPLACED:
                self.move(p, plan[p])

    @property
    def score(self) -> int:
        return self.wishes - self.cover + self.overflow + self.fixed

    # --- judging -----------------------------------------------------------------------------------------------

    def has_room(self, rnd: int) -> bool:
        return len(self.members[rnd]) < len(self.seats[rnd]) - 1

    def host_free(self, p: int, rnd: int) -> bool:
        """p's host has no pitch in round rnd (or p has no host)."""
        host = self.instance.host[p]
        return host < 0 or host not in self.hosted[rnd]

    def can_move(self, p: int, rnd: int) -> bool:
        return rnd == UNPLACED or (self.has_room(rnd) and self.host_free(p, rnd))

    def can_swap(self, p: int, q: int) -> bool:
        """p and q trade places (either may be unplaced) without breaking the host rule."""
        host = self.instance.host
        hp, hq = host[p], host[q]
        if hp == hq:
            return True
        a, b = self.plan[p], self.plan[q]
        return (hp < 0 or b == UNPLACED or hp not in self.hosted[b]) and (
            hq < 0 or a == UNPLACED or hq not in self.hosted[a]
        )

    def delta_move(self, p: int, b: int, limit: float = float("inf")) -> float:
        """The change of score if p goes to round b (or out of the grid); any value above `limit` when the change
        is surely above it. Then the rooms' overflow is not worked out: taking p out of a round lowers its overflow
        by at most p's interest and at most to 0, and adding p never lowers it."""
        a, t, n = self.plan[p], self.t, self.instance.interest[p]
        lost = (self.single[p * t + a] if a != UNPLACED else 0) - (self.gain[p * t + b] if b != UNPLACED else 0)
        bound = lost - min(n, self.over[a]) if a != UNPLACED else lost
        if bound > limit:
            return bound
        change = lost
        if a != UNPLACED:
            change += self._over_with(a, None, n) - self.over[a]
        if b != UNPLACED:
            change += self._over_with(b, n, None) - self.over[b]
        return change

    def delta_swap(self, p: int, q: int, limit: float = float("inf")) -> float:
        """The change of score if p and q trade rounds (either may be unplaced, not both); any value above
        `limit` when the change is surely above it. The round that gets the more wanted of the two cannot
        overflow less; the other can overflow less by at most the difference of interest (the sorted fit's
        overflow falls by at most d when one interest falls by d), and at most to 0."""
        a, b, t = self.plan[p], self.plan[q], self.t
        interest = self.instance.interest
        np_, nq = interest[p], interest[q]
        lost = 0  # cover lost minus cover gained
        if a != UNPLACED:
            lost += self.single[p * t + a] - self.gain[q * t + a]
        if b != UNPLACED:
            lost += self.single[q * t + b] - self.gain[p * t + b]
        shared = self.shared[p].get(q)
        if shared:
            # A fan of both keeps the same count in both rounds; the terms above counted them as uncovered.
            count = self.count
            for u in shared:
                if a != UNPLACED and count[u * t + a] == 1:
                    lost -= 1
                if b != UNPLACED and count[u * t + b] == 1:
                    lost -= 1
        if np_ == nq:
            return lost
        if np_ > nq:
            bound = lost - min(np_ - nq, self.over[a]) if a != UNPLACED else lost
        else:
            bound = lost - min(nq - np_, self.over[b]) if b != UNPLACED else lost
        if bound > limit:
            return bound
        change = lost
        if a != UNPLACED:
            change += self._over_with(a, nq, np_) - self.over[a]
        if b != UNPLACED:
            change += self._over_with(b, np_, nq) - self.over[b]
        return change

    def _over_with(self, rnd: int, add: int | None, drop: int | None) -> int:
        """The overflow of round rnd with one interest added and/or one taken out, in O(log rooms).

        Inserting or removing a value shifts the values between its place and the other end (or the other
        value's place) by one room; `_prefix` holds, for the round as it is, the running sums of each value's
        overflow in its own room (a), in the next smaller room (b) and in the next bigger room (c).
        """
        neg, seats = self.neg[rnd], self.seats[rnd]
        a, b, c = self.prefix[rnd]
        size = len(neg)
        if drop is None:
            assert add is not None
            j = bisect_left(neg, -add)
            return a[j] + max(0, add - seats[j]) + b[size] - b[j]
        i = bisect_left(neg, -drop)
        if add is None:
            return a[i] + c[size] - c[i + 1]
        j = bisect_left(neg, -add)
        if add >= drop:  # add goes to j <= i; the values in j..i-1 move one room down
            return a[j] + max(0, add - seats[j]) + b[i] - b[j] + a[size] - a[i + 1]
        # drop leaves i; the values in i+1..j-1 move one room up; add goes to j-1
        return a[i] + c[j] - c[i + 1] + max(0, add - seats[j - 1]) + a[size] - a[j]

    def _reover(self, rnd: int) -> None:
        """Recompute round rnd's overflow and running sums after its contents changed."""
        seats, loads = self.seats[rnd], [-v for v in self.neg[rnd]]
        a = list(accumulate([n - c if n > c else 0 for n, c in zip(loads, seats, strict=False)], initial=0))
        b = list(accumulate([n - c if n > c else 0 for n, c in zip(loads, seats[1:], strict=False)], initial=0))
        c = list(accumulate([n - c if n > c else 0 for n, c in zip(loads[1:], seats, strict=False)], initial=0))
        self.prefix[rnd] = (a, b, [0, *c])
        value = a[-1]
        self.overflow += value - self.over[rnd]
        self.over[rnd] = value

    # --- moving ------------------------------------------------------------------------------------------------

    def move(self, p: int, b: int) -> None:
        """p to round b (or out of the grid); the caller has checked `can_move`."""
        a = self.plan[p]
        if a == b:
            return
        self._take(p, a)
        self._put(p, b)
        self.plan[p] = b
        if a != UNPLACED:
            self._reover(a)
        if b != UNPLACED:
            self._reover(b)

    def swap(self, p: int, q: int) -> None:
        """p and q trade rounds; the caller has checked `can_swap`."""
        a, b = self.plan[p], self.plan[q]
        self._take(p, a)
        self._take(q, b)
        self._put(q, a)
        self._put(p, b)
        self.plan[p], self.plan[q] = b, a
        if a != UNPLACED:
            self._reover(a)
        if b != UNPLACED:
            self._reover(b)

    def _take(self, p: int, rnd: int) -> None:
        if rnd == UNPLACED:
            return
        self._leave(p, rnd)
        self.members[rnd].remove(p)
        neg = self.neg[rnd]
        del neg[bisect_left(neg, -self.instance.interest[p])]
        host = self.instance.host[p]
        if host >= 0:
            self.hosted[rnd].discard(host)

    def _put(self, p: int, rnd: int) -> None:
        if rnd == UNPLACED:
            return
        self._enter(p, rnd)
        self.members[rnd].append(p)
        insort(self.neg[rnd], -self.instance.interest[p])
        host = self.instance.host[p]
        if host >= 0:
            self.hosted[rnd].add(host)

    def _enter(self, p: int, rnd: int) -> None:
        t, count, gain, single, wishes = self.t, self.count, self.gain, self.single, self.instance.wishes
        for u in self.instance.fans[p]:
            i = u * t + rnd
            c = count[i]
            count[i] = c + 1
            if c == 0:
                self.cover += 1
                for q in wishes[u]:
                    j = q * t + rnd
                    gain[j] -= 1
                    single[j] += 1
            elif c == 1:
                for q in wishes[u]:
                    single[q * t + rnd] -= 1

    def _leave(self, p: int, rnd: int) -> None:
        t, count, gain, single, wishes = self.t, self.count, self.gain, self.single, self.instance.wishes
        for u in self.instance.fans[p]:
            i = u * t + rnd
            c = count[i]
            count[i] = c - 1
            if c == 1:
                self.cover -= 1
                for q in wishes[u]:
                    j = q * t + rnd
                    gain[j] += 1
                    single[j] -= 1
            elif c == 2:
                for q in wishes[u]:
                    single[q * t + rnd] += 1
