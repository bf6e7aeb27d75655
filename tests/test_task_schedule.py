"""The schedule grid (every aligned like InfluxDB, cron via croniter) and catch-up planning."""
from __future__ import annotations

import itertools

import pytest

from runtime.tasks.catchup import CatchUp, plan_due_runs
from runtime.tasks.options import TaskOptions
from runtime.tasks.schedule import CronError, CronSchedule, every_schedule, parse_cron, points_between, schedule_for
from transpile.timefmt import format_rfc3339, parse_rfc3339 as t
from transpile.values import Duration

S = 10**9
M = 60 * S
H = 60 * M
D = 24 * H


def take(iterator, n):
    return [format_rfc3339(p) for p in itertools.islice(iterator, n)]


def every(duration: Duration):
    return every_schedule(duration)


def test_every_hour_first_run_is_the_next_hour():
    # InfluxDB docs: a task saved at 2:30 with every: 1h first runs at 3:00.
    grid = every(Duration(0, H))
    assert format_rfc3339(grid.next_after(t("2024-05-01T02:30:00Z"))) == "2024-05-01T03:00:00Z"
    assert format_rfc3339(grid.next_after(t("2024-05-01T03:00:00Z"))) == "2024-05-01T04:00:00Z"
    assert format_rfc3339(grid.latest_at_or_before(t("2024-05-01T03:00:00Z"))) == "2024-05-01T03:00:00Z"


def test_every_aligns_on_go_zero_time():
    # Go's Time.Truncate counts from 0001-01-01, a Monday: weekly tasks fire on Mondays.
    week = every(Duration(0, 7 * D))
    assert take(week.forward(t("2024-01-03T12:00:00Z")), 2) == ["2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z"]
    # 7m does not divide a day: its grid is 60 s off the Unix epoch's (62135596800 s % 420 s = 60 s).
    seven = every(Duration(0, 7 * M))
    assert seven.latest_at_or_before(0) == -60 * S
    assert take(every(Duration(0, 15 * M)).forward(t("2024-01-01T00:07:00Z")), 2) == ["2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z"]


def test_every_month_follows_calendar_months():
    month = every(Duration(1, 0))
    assert take(month.forward(t("2024-01-15T00:00:00Z")), 3) == [
        "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"]
    assert take(month.backward(t("2024-03-01T00:00:00Z")), 2) == ["2024-03-01T00:00:00Z", "2024-02-01T00:00:00Z"]
    quarter = every(Duration(3, 0))
    assert take(quarter.forward(t("2024-02-15T00:00:00Z")), 2) == ["2024-04-01T00:00:00Z", "2024-07-01T00:00:00Z"]


def cron(expression, timezone=None):
    return CronSchedule(parse_cron(expression), timezone)


@pytest.mark.parametrize(
    "expression, start, expected",
    [
        # 5 fields: minute hour dom month dow, seconds fixed at 0.
        ("0 * * * *", "2024-01-01T01:00:00Z", ["2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z"]),
        # 6 fields: SECONDS FIRST (influxdata/cron), not croniter's default seconds-last.
        ("5-10 * * * * *", "2001-01-01T12:10:10.7Z", ["2001-01-01T12:11:05Z", "2001-01-01T12:11:06Z"]),
        ("3 47 17 * 1 THU-SAT", "2001-01-01T12:10:10.7Z", ["2001-01-04T17:47:03Z", "2001-01-05T17:47:03Z"]),
        # 7 fields add a year.
        ("3 47 17 3 1 * 2003-2007", "2001-01-01T12:10:10.7Z", ["2003-01-03T17:47:03Z", "2004-01-03T17:47:03Z"]),
        # Day of month AND day of week (influxdata/cron), not cron's OR: Feb 29 on a Wednesday.
        ("* * 12 29 FEB WED *", "2019-06-27T06:05:12Z", ["2040-02-29T12:00:00Z", "2040-02-29T12:00:01Z"]),
        ("0 0 * * sun-thu/2", "2019-06-27T06:05:12Z", ["2019-06-30T00:00:00Z", "2019-07-02T00:00:00Z"]),
        ("0 0 * * 7", "2019-06-27T06:05:12Z", ["2019-06-30T00:00:00Z", "2019-07-07T00:00:00Z"]),
        ("@weekly", "2019-06-27T06:05:12Z", ["2019-06-30T00:00:00Z", "2019-07-07T00:00:00Z"]),
        ("@yearly", "2019-06-27T06:05:12Z", ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"]),
        ("@every_second", "2019-06-27T06:05:12.6Z", ["2019-06-27T06:05:13Z", "2019-06-27T06:05:14Z"]),
        ("@hourly", "2019-06-27T06:05:12Z", ["2019-06-27T07:00:00Z", "2019-06-27T08:00:00Z"]),
    ],
)
def test_cron_next_times(expression, start, expected):
    assert take(cron(expression).forward(t(start)), 2) == expected


def test_cron_backward_and_exact_matches():
    grid = cron("0 * * * *")
    assert format_rfc3339(grid.latest_at_or_before(t("2024-01-01T01:00:00Z"))) == "2024-01-01T01:00:00Z"
    assert format_rfc3339(grid.latest_at_or_before(t("2024-01-01T00:59:59.999Z"))) == "2024-01-01T00:00:00Z"
    assert format_rfc3339(grid.next_after(t("2024-01-01T00:59:59.5Z"))) == "2024-01-01T01:00:00Z"
    assert take(grid.backward(t("2024-01-01T01:30:00Z")), 2) == ["2024-01-01T01:00:00Z", "2024-01-01T00:00:00Z"]


def test_cron_time_zone_and_dst():
    paris = cron("30 2 * * *", "Europe/Paris")
    # 2024-03-31: 02:30 does not exist in Paris; the run happens right after the gap (03:00 CEST).
    assert take(paris.forward(t("2024-03-30T12:00:00Z")), 2) == ["2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"]
    # 2024-10-27: 02:30 happens twice; a fixed-hour expression runs once.
    assert take(paris.forward(t("2024-10-26T12:00:00Z")), 2) == ["2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"]
    assert take(paris.backward(t("2024-10-28T02:00:00Z")), 2) == ["2024-10-28T01:30:00Z", "2024-10-27T00:30:00Z"]
    hourly = cron("0 * * * *", "Europe/Paris")
    assert take(hourly.forward(t("2024-10-26T23:30:00Z")), 4) == [
        "2024-10-27T00:00:00Z", "2024-10-27T01:00:00Z", "2024-10-27T02:00:00Z", "2024-10-27T03:00:00Z"]


@pytest.mark.parametrize("bad", ["0 0 L * *", "0 0 * * 5#3", "0 0 ? * *", "H * * * *", "61 * * * *", "* * * *",
                                 "@often", "0 0 30 2 *", "* * * * * * 2100", "0 0 * * FOO", "@every 1.5s", ""])
def test_cron_rejects_what_influxdb_rejects(bad):
    with pytest.raises(CronError):
        parse_cron(bad)


def test_every_macro_is_aligned_like_every():
    options = TaskOptions(name="x", cron="@every 1h")
    grid = schedule_for(options)
    assert format_rfc3339(grid.next_after(t("2024-05-01T02:30:00Z"))) == "2024-05-01T03:00:00Z"


def test_timezone_is_for_cron_only():
    with pytest.raises(CronError):
        schedule_for(TaskOptions(name="x", every=Duration(0, H)), "Europe/Paris")
    with pytest.raises(CronError):
        schedule_for(TaskOptions(name="x", cron="0 * * * *"), "Mars/Olympus")


def test_points_between_is_start_exclusive_stop_inclusive():
    grid = every(Duration(0, H))
    points = list(points_between(grid, t("2024-01-01T00:00:00Z"), t("2024-01-01T03:00:00Z")))
    assert [format_rfc3339(p) for p in points] == ["2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z"]


# ---------------------------------------------------------------- catch-up planning

HOURLY = every(Duration(0, H))
T0 = t("2024-01-01T00:00:00Z")


def plan(**kwargs):
    base = dict(now=T0 + 5 * H + 10 * M, offset_ns=0, settled_through=T0, done=set())
    base.update(kwargs)
    return plan_due_runs(HOURLY, **base)


def hours(*ks):
    return tuple(T0 + k * H for k in ks)


def test_plan_all_runs_every_missed_run_in_order():
    result = plan()
    assert result.to_run == hours(1, 2, 3, 4, 5)
    assert result.settled_through == T0 + H - 1  # held below the runs about to start
    assert result.skipped_count == 0


def test_plan_excludes_done_running_and_queued():
    result = plan(done={T0 + H}, running={T0 + 2 * H}, queued={T0 + 3 * H})
    assert result.to_run == hours(4, 5)
    assert result.settled_through == T0 + 3 * H - 1  # the queued run has no record yet


def test_plan_when_everything_is_done_settles_to_now():
    result = plan(done=set(hours(1, 2, 3, 4, 5)))
    assert result.to_run == ()
    assert result.settled_through == T0 + 5 * H + 10 * M


def test_plan_latest_and_bounded_all():
    latest = plan(policy=CatchUp.LATEST)
    assert latest.to_run == hours(5)
    assert (latest.skipped_count, latest.skipped_first, latest.skipped_last) == (4, T0 + H, T0 + 4 * H)
    assert latest.settled_through == T0 + 5 * H - 1
    bounded = plan(max_catch_up=2)
    assert bounded.to_run == hours(4, 5) and bounded.skipped_count == 3


def test_plan_skip_only_at_session_start():
    at_start = plan(policy=CatchUp.SKIP, session_start=True)
    assert at_start.to_run == () and at_start.skipped_count == 5
    assert at_start.settled_through == T0 + 5 * H + 10 * M
    later = plan(policy=CatchUp.SKIP, session_start=False)
    assert later.to_run == hours(1, 2, 3, 4, 5)


def test_plan_resumes_interrupted_runs_whatever_the_policy():
    result = plan(policy=CatchUp.SKIP, session_start=True, resume={T0 - 3 * H, T0 + 2 * H})
    assert result.to_run == (T0 - 3 * H, T0 + 2 * H)


def test_plan_offset_delays_due_runs():
    result = plan(now=T0 + 2 * H + 4 * M, offset_ns=5 * M)
    assert result.to_run == hours(1)


def test_plan_never_lowers_the_mark():
    result = plan(settled_through=T0 + 10 * H)
    assert result.to_run == () and result.settled_through == T0 + 10 * H
