"""Pure meetup rules: the waiting list, when a stage runs or is skipped, the one-line syntax,
and the codecs of keys and buttons."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.meetups.buttons import MeetupAction, MeetupButton
from bot.meetups.rules import (
    RsvpEntry,
    apply_rsvp,
    due_stages,
    moving_up_after_capacity_change,
    stages_of,
)
from bot.meetups.syntax import parse_meetup
from bot.purpose_keys import MeetupKey
from storage.tables import RsvpStatus

T0 = dt.datetime(2027, 9, 1, 10, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def entry(member_id: int, status: RsvpStatus, minute: int = 0) -> RsvpEntry:
    waiting = T0 + dt.timedelta(minutes=minute) if status == RsvpStatus.WAITING else None
    return RsvpEntry(member_id, status, waiting)


def test_a_yes_beyond_the_capacity_waits_and_a_cancellation_lets_the_first_in() -> None:
    full = [
        entry(1, RsvpStatus.YES),
        entry(2, RsvpStatus.WAITING, 5),
        entry(3, RsvpStatus.WAITING, 1),
    ]
    assert apply_rsvp(full, member_id=4, choice=RsvpStatus.YES, capacity=1).status == "waiting"
    change = apply_rsvp(full, member_id=1, choice=RsvpStatus.NO, capacity=1)
    assert change.status == RsvpStatus.NO and change.moved_up == 3  # waited longest
    assert not apply_rsvp(full, member_id=2, choice=RsvpStatus.YES, capacity=1).changed
    assert apply_rsvp([], member_id=1, choice=RsvpStatus.YES, capacity=None).status == "yes"
    assert moving_up_after_capacity_change(full, capacity=2) == [3]
    assert moving_up_after_capacity_change(full, capacity=None) == [3, 2]


def test_a_missed_stage_runs_late_only_while_it_still_makes_sense() -> None:
    start = T0 + dt.timedelta(days=10)
    stages = stages_of(
        tz=BERLIN,
        starts_at=start,
        ends_at=None,
        reminders=[dt.timedelta(days=7), dt.timedelta(days=1), dt.timedelta(hours=2)],
        preread=None,
        followup=dt.timedelta(days=1),
    )
    names = [stage.name for stage in stages]
    assert names == ["remind-604800s", "remind-86400s", "remind-7200s", "followup"]
    # The follow-up comes the morning after, at 10:00 local time (08:00 UTC in summer).
    assert stages[-1].due_at == dt.datetime(2027, 9, 12, 8, tzinfo=dt.UTC)
    late = due_stages(stages, done=set(), starts_at=start, now=start - dt.timedelta(hours=5))
    assert [s.name for s in late.run] == ["remind-86400s"]
    assert [s.name for s in late.skip] == ["remind-604800s"]
    after = due_stages(stages, done={"remind-604800s", "remind-86400s"}, starts_at=start,
                       now=start + dt.timedelta(days=1, hours=1))  # fmt: skip
    assert [s.name for s in after.run] == ["followup"] and [s.name for s in after.skip] == [
        "remind-7200s"
    ]
    gone = due_stages(stages, done=set(), starts_at=start, now=start + dt.timedelta(days=5))
    assert not gone.run and len(gone.skip) == 4


def test_the_one_line_syntax_reads_times_options_and_problems() -> None:
    parsed = parse_meetup(
        "15.09.2027 18:00-21:00 | Hamburg, Ort | Alumni-Treffen | Text plätze=40 jahrgang=2023",
        now=T0, tz=BERLIN,
    )  # fmt: skip
    assert not parsed.problems
    assert parsed.starts_at == dt.datetime(2027, 9, 15, 16, tzinfo=dt.UTC)  # 18:00 CEST
    assert parsed.ends_at == dt.datetime(2027, 9, 15, 19, tzinfo=dt.UTC)
    assert (parsed.place, parsed.title, parsed.description) == (
        "Hamburg, Ort",
        "Alumni-Treffen",
        "Text",
    )
    assert (parsed.capacity, parsed.cohort) == (40, "2023")
    winter = parse_meetup("15.01.2028 18 Uhr | Kassel | Stammtisch bis=20:30", now=T0, tz=BERLIN)
    assert winter.starts_at == dt.datetime(2028, 1, 15, 17, tzinfo=dt.UTC)  # 18:00 CET
    assert winter.ends_at == dt.datetime(2028, 1, 15, 19, 30, tzinfo=dt.UTC)
    assert [p.key for p in parse_meetup("morgen | x | y", now=T0, tz=BERLIN).problems] == [
        "meetups.problem.bad_when"
    ]
    assert [p.key for p in parse_meetup("15.09.2027 18:00 | x", now=T0, tz=BERLIN).problems] == [
        "meetups.problem.fields"
    ]
    partial = parse_meetup("| neuer Ort |", now=T0, tz=BERLIN, partial=True)
    assert not partial.problems and partial.place == "neuer Ort" and partial.starts_at is None


def test_keys_and_buttons_read_back_what_they_wrote() -> None:
    for key in (
        MeetupKey.copy(3, -100123),
        MeetupKey.calendar(3, 42, 2),
        MeetupKey.edit(3, 7, 12),
        MeetupKey.notice(3, 42, "changed-2"),
        MeetupKey.stage(3, "remind-3600s", 42),
    ):
        assert MeetupKey.decode(key.encode()) == key
    assert MeetupKey.decode(MeetupKey.edit(3, 7, 12).encode()).copy_id == 7  # type: ignore[union-attr]
    assert MeetupKey.stage(3, "followup", 42).stage_name == "followup"
    for action in MeetupAction:
        button = MeetupButton(action, 99)
        assert MeetupButton.decode(button.encode()) == button
        assert len(button.encode().encode()) <= 64
    assert MeetupButton.decode("mu:zz:1") is None and MeetupButton.decode("mu:y:x") is None
