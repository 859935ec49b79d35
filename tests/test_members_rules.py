"""The members' pure rules, without Telegram: button data and dialogue state on the wire,
pausing, invite codes, typed profile values and the coordinators' overview."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator
from bot.members import invites
from bot.members.callbacks import (
    ConsentAction,
    ConsentButton,
    ForgetButton,
    LanguageButton,
    ProfileAction,
    ProfileButton,
    RevokeInviteButton,
)
from bot.members.overview import overview, sections
from bot.members.profile import Problem, check, clean, match_cohort, telegram_name
from bot.members.profile_state import Mode, Position, Step, first
from bot.members.rules import OPEN_ENDED, PauseProblem, PauseRefused, PauseRequest, parse_pause
from storage.tables import Cohort, Invite, Member

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

# ------------------------------------------------------------------------------ wire formats


@pytest.mark.parametrize(
    ("wire", "button"),
    [
        ("consent:yes:de:", ConsentButton(ConsentAction.YES, "de", "")),
        ("consent:lang:en:Ab_c-12", ConsentButton(ConsentAction.OTHER_LANGUAGE, "en", "Ab_c-12")),
        ("consent:no:de:x", ConsentButton(ConsentAction.NO, "de", "x")),
    ],
)
def test_consent_buttons_keep_their_wire_format(wire: str, button: ConsentButton) -> None:
    assert ConsentButton.decode(wire) == button
    assert button.encode() == wire


@pytest.mark.parametrize(
    ("wire", "button"),
    [
        ("pf:pick:cohort:3", ProfileButton(ProfileAction.PICK, Step.COHORT, "3")),
        ("pf:pick:region:0a1b2c3d4e", ProfileButton(ProfileAction.PICK, Step.REGION, "0a1b2c3d4e")),
        ("pf:keep:name", ProfileButton(ProfileAction.KEEP, Step.NAME)),
        ("pf:skip:role", ProfileButton(ProfileAction.SKIP, Step.ROLE)),
        ("pf:back:region", ProfileButton(ProfileAction.BACK, Step.REGION)),
        ("pf:edit:organisation", ProfileButton(ProfileAction.EDIT, Step.ORGANISATION)),
        ("pf:job:organisation", ProfileButton(ProfileAction.JOB, Step.ORGANISATION)),
    ],
)
def test_profile_buttons_keep_their_wire_format(wire: str, button: ProfileButton) -> None:
    assert ProfileButton.decode(wire) == button
    assert button.encode() == wire


@pytest.mark.parametrize(
    "wire", ["pf:keep", "pf:keep:shoe_size", "pf:dance:name", "consent:maybe:de:", "lang:fr", "x"]
)
def test_unknown_button_data_is_refused(wire: str) -> None:
    decoded = [
        ProfileButton.decode(wire),
        ConsentButton.decode(wire),
        LanguageButton.decode(wire),
        RevokeInviteButton.decode(wire),
        ForgetButton.decode(wire),
    ]
    assert decoded == [None] * len(decoded)


def test_small_buttons_keep_their_wire_format() -> None:
    assert LanguageButton.decode("lang:en") == LanguageButton("en")
    assert LanguageButton("de").encode() == "lang:de"
    assert ForgetButton.decode("forget:yes") == ForgetButton(confirmed=True)
    assert ForgetButton.decode("forget:no") == ForgetButton(confirmed=False)
    assert ForgetButton.decode("forget:whatever") == ForgetButton(confirmed=False)
    assert [ForgetButton(True).encode(), ForgetButton(False).encode()] == [
        "forget:yes",
        "forget:no",
    ]
    assert RevokeInviteButton.decode("invite:revoke:Ab:1") == RevokeInviteButton("Ab:1")
    assert RevokeInviteButton("Ab_1").encode() == "invite:revoke:Ab_1"


def test_dialogue_state_round_trips_and_leaves_other_dialogues_alone() -> None:
    position = Position(Step.REGION, Mode.ONBOARDING)
    assert position.encode() == "profile:region:onboarding"
    assert Position.decode("profile:region:onboarding") == position
    for other in (None, "", "checkin:3", "checkin:3:edit:7", "profile:region", "profile:x:edit"):
        assert Position.decode(other) is None


def test_the_onboarding_plan_walks_every_step_once() -> None:
    walked, position = [], first(Mode.ONBOARDING)
    while position is not None:
        walked.append(position.step)
        position = position.next()
    assert walked == [Step.NAME, Step.COHORT, Step.REGION, Step.ORGANISATION, Step.ROLE]
    assert first(Mode.JOB).previous() is None
    assert Position(Step.ROLE, Mode.EDIT).next() is None


# ------------------------------------------------------------------------------ pausing


def test_pause_without_a_date_is_open_ended() -> None:
    assert parse_pause([], now=NOW, tz=BERLIN) == PauseRequest(until=OPEN_ENDED, last_day=None)


def test_pause_until_a_day_ends_at_midnight_local_time() -> None:
    request = parse_pause(["bis", "31.12.2026"], now=NOW, tz=BERLIN)
    assert request == PauseRequest(
        until=dt.datetime(2027, 1, 1, tzinfo=BERLIN).astimezone(dt.UTC),
        last_day=dt.date(2026, 12, 31),
    )


@pytest.mark.parametrize(
    ("words", "refused"),
    [
        (["morgen"], PauseRefused(PauseProblem.NOT_A_DATE)),
        (["1.1.2026", "2.1.2026"], PauseRefused(PauseProblem.NOT_A_DATE)),
        (["31.12.9999"], PauseRefused(PauseProblem.NOT_A_DATE)),
        (["until", "2026-11-30"], PauseRefused(PauseProblem.IN_THE_PAST, dt.date(2026, 11, 30))),
    ],
)
def test_pause_refusals(words: list[str], refused: PauseRefused) -> None:
    assert parse_pause(words, now=NOW, tz=BERLIN) == refused


# ------------------------------------------------------------------------------ invites, profile


def test_invite_codes_and_their_status() -> None:
    code = invites.new_code()
    assert invites.looks_like_code(code) and len(code) == 12
    assert not invites.looks_like_code("") and not invites.looks_like_code("ä" * 3)
    assert invites.deep_link("alumni_bot", "abc") == "https://t.me/alumni_bot?start=abc"
    later = NOW + dt.timedelta(days=1)
    assert invites.status(None, now=NOW) is invites.InviteStatus.UNKNOWN
    assert invites.status(Invite(code="a", created_by=1), now=NOW) is invites.InviteStatus.VALID
    expiring = Invite(code="a", created_by=1, expires_at=later)
    assert invites.status(expiring, now=later) is invites.InviteStatus.EXPIRED
    revoked = Invite(code="a", created_by=1, revoked_at=NOW)
    assert invites.status(revoked, now=NOW) is invites.InviteStatus.REVOKED


def test_typed_profile_values_are_cleaned_and_checked() -> None:
    assert clean("  Anna\u202e  Berg \u200b") == "Anna Berg"
    assert check(Step.NAME, " \u200b ").problem is Problem.EMPTY
    assert check(Step.NAME, "x" * 65).problem is Problem.TOO_LONG
    assert check(Step.REGION, "Nordhessen") == check(Step.REGION, " Nordhessen ")
    assert telegram_name("Anna", None) == "Anna"
    assert telegram_name("\u200b", None) is None


def test_a_typed_cohort_is_its_name_or_a_unique_number() -> None:
    known = [Cohort(id=1, name="Jahrgang 2021"), Cohort(id=2, name="Jahrgang 2022")]
    assert match_cohort("jahrgang 2022", known) is known[1]
    assert match_cohort("2021", known) is known[0]
    assert match_cohort("Jahrgang", known) is None
    assert match_cohort("   ", known) is None


# ------------------------------------------------------------------------------ /members


def test_the_overview_counts_everyone_once() -> None:
    cohorts = [Cohort(id=1, name="2021"), Cohort(id=2, name="2022")]
    everyone = [
        Member(telegram_id=1, language="de", consent_at=NOW, cohort_id=1, region="Nord"),
        Member(telegram_id=2, language="de", consent_at=NOW, cohort_id=1, paused_until=OPEN_ENDED),
        Member(telegram_id=3, language="de", consent_at=NOW, reachable=False, region="Nord"),
        Member(telegram_id=4, language="de", consent_at=None),
    ]
    result = overview(everyone, cohorts, now=NOW, none_label="–")
    assert (result.total, result.active, result.paused, result.unreachable) == (4, 1, 1, 1)
    assert result.not_consented == 1
    assert result.per_cohort == {"2021": 2, "2022": 0, "–": 2}
    assert result.per_region == {"Nord": 2, "–": 2}


def test_the_overview_lists_cohorts_by_name_and_regions_by_size() -> None:
    cohorts = [Cohort(id=1, name="B"), Cohort(id=2, name="A")]
    everyone = [
        Member(telegram_id=n, language="en", consent_at=NOW, cohort_id=1, region=region)
        for n, region in enumerate(["Süd", "Nord", "Nord"])
    ]
    translate = Translator.load("en")
    result = overview(everyone, cohorts, now=NOW, none_label="not given")
    lines = sections(result, translate, "en")
    assert lines[2:4] == ["A: 0", "B: 3"]
    assert lines[5:7] == ["Nord: 2", "Süd: 1"]
