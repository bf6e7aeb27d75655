"""Which scheduled runs of a task are due now, and which missed ones to skip.

Owns the catch-up policy, as a pure function of the schedule, the task's
`settled_through` mark and the run records; it never touches a database or a clock.

Vocabulary (times are scheduled times `g`; a run of `g` is due when `g + offset <= now`):
- *done*: `g` has a success, or a final failure (retries exhausted);
- *resume*: `g` has records but is not done: a run interrupted by a crash or a stop
  (status canceled) or a failed attempt whose retry never happened. These are always
  run again, whatever the policy and however old: InfluxDB also resumes in-flight runs
  at boot.
- *running*/*queued*: `g` is running or waiting in this process right now;
- *fresh*: due, above `settled_through`, and none of the above.

Policies (per task):
- `all` (default): run every fresh run, oldest first; when more than `max_catch_up`
  are fresh, run the newest `max_catch_up` and skip the older ones.
- `latest`: run only the newest fresh run; skip the older ones.
- `skip`: InfluxDB's behaviour: runs that fell due while no scheduler was running are
  skipped when the scheduler starts (`session_start`); later, it behaves like `all`.

`settled_through` only moves forward: every scheduled time at or before it is done or
was deliberately skipped, so planning never walks the grid from the task's creation.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .schedule import Schedule

DEFAULT_MAX_CATCH_UP = 1000
# Counting skipped cron runs walks the grid; past this many the count is reported as a minimum.
COUNT_LIMIT = 100_000


class CatchUp(str, Enum):
    ALL = "all"
    LATEST = "latest"
    SKIP = "skip"


@dataclass(frozen=True)
class DuePlan:
    """The result of planning one task at one instant."""

    to_run: tuple[int, ...]  # scheduled times to run now, oldest first
    settled_through: int  # the new mark (never lower than the old one)
    skipped_count: int = 0  # fresh runs skipped by the policy (a minimum if counting stopped)
    skipped_first: int | None = None
    skipped_last: int | None = None
    skipped_count_exact: bool = True


def plan_due_runs(
    schedule: Schedule,
    *,
    now: int,
    offset_ns: int,
    settled_through: int,
    done: frozenset[int] | set[int],
    resume: frozenset[int] | set[int] = frozenset(),
    running: frozenset[int] | set[int] = frozenset(),
    queued: frozenset[int] | set[int] = frozenset(),
    policy: CatchUp = CatchUp.ALL,
    max_catch_up: int = DEFAULT_MAX_CATCH_UP,
    session_start: bool = False,
) -> DuePlan:
    """Plan the runs of one task that are due at `now` (see the module docstring).

    `done` needs only the times above `settled_through`; `resume` holds every resumable
    time of the task whatever its age (they have records, so the mark may pass them);
    `running` and `queued` are this process's runs in flight and waiting. Queued runs
    have no record yet, so they hold the mark below them until they start.
    """
    horizon = now - offset_ns  # scheduled times at or before it are due
    if policy is CatchUp.LATEST:
        limit = 1
    elif policy is CatchUp.SKIP and session_start:
        limit = 0
    else:
        limit = max_catch_up
    fresh: list[int] = []
    skipped_count = 0
    skipped_first = skipped_last = None
    exact = True
    if horizon > settled_through:
        for point in schedule.backward(horizon):
            if point <= settled_through:
                break
            if point in done or point in running or point in queued or point in resume:
                continue
            if len(fresh) < limit:
                fresh.append(point)
                continue
            # Beyond the limit: skipped, and older than every fresh run kept.
            skipped_count += 1
            skipped_last = skipped_last if skipped_last is not None else point
            skipped_first = point
            if skipped_count >= COUNT_LIMIT:
                exact = False
                break
    resumed = [p for p in resume if p <= horizon and p not in running and p not in queued]
    to_run = tuple(sorted(set(fresh) | set(resumed)))
    still_open = [p for p in (*fresh, *queued) if p > settled_through]
    if still_open:
        new_mark = max(settled_through, min(still_open) - 1)
    else:
        new_mark = max(settled_through, horizon)
    return DuePlan(
        to_run=to_run,
        settled_through=new_mark,
        skipped_count=skipped_count,
        skipped_first=skipped_first,
        skipped_last=skipped_last,
        skipped_count_exact=exact,
    )
