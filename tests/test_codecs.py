"""The stored string formats read back what they wrote, keep the old wire strings, and
refuse anything they never produced."""

from __future__ import annotations

import pytest

from bot.checkin.buttons import ButtonAction, CheckinButton
from bot.checkin.state import CheckinState
from bot.purpose_keys import DigestPartKey, DigestSeries, PromptKey, ReminderKey


def test_purpose_keys_round_trip_with_the_stored_strings() -> None:
    prompt = PromptKey(round_id=3, member_id=42)
    assert prompt.encode() == "checkin:round:3:member:42:prompt"
    assert PromptKey.decode(prompt.encode()) == prompt
    reminder = ReminderKey(round_id=3, stage="manual-17", member_id=42)
    assert reminder.encode() == "checkin:round:3:remind:manual-17:member:42"
    assert reminder.encode().startswith(ReminderKey.stage_prefix(3, "manual-17"))
    assert ReminderKey.decode(reminder.encode()) == reminder
    assert ReminderKey.manual_stage(17) == "manual-17"


@pytest.mark.parametrize(
    ("series", "key"),
    [
        (DigestSeries.group(2), "digest:round:2:group:part:1"),
        (DigestSeries.coordinator(2, 501), "digest:round:2:coordinator:501:part:1"),
        (
            DigestSeries.request(2, chat_id=-1001, message_id=7),
            "digest:round:2:request:-1001:7:group:part:1",
        ),
        (
            DigestSeries.reissue(2, stamp="20270104", index=1, chat_id=-1001),
            "digest:round:2:reissue:20270104:1:chat:-1001:part:1",
        ),
    ],
)
def test_digest_part_keys_round_trip(series: DigestSeries, key: str) -> None:
    assert series.part(1).encode() == key
    assert key.startswith(series.parts_prefix())
    assert DigestPartKey.decode(key) == series.part(1)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "checkin:round:3:member:42",
        "checkin:round:x:member:42:prompt",
        "checkin:round:3:remind::member:42",
        "checkin:round:3:member:42:prompt:extra",
        "coordinator:5:grant:2027-01-04",
        "digest:round:two:group:part:1",
        "digest:round:2:group:part:",
    ],
)
def test_purpose_keys_reject_junk(junk: str) -> None:
    assert PromptKey.decode(junk) is None
    assert ReminderKey.decode(junk) is None
    assert DigestPartKey.decode(junk) is None


def test_reminder_stage_cannot_break_the_key() -> None:
    with pytest.raises(ValueError):
        ReminderKey(round_id=1, stage="a:b", member_id=2)


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (CheckinButton(ButtonAction.SKIP, 31), "ci:skip:31"),
        (CheckinButton(ButtonAction.LATER, 7), "ci:later:7"),
        (CheckinButton(ButtonAction.GO, 7), "ci:go:7"),
        (CheckinButton(ButtonAction.EDIT, 31), "ci:edit:31"),
        (CheckinButton(ButtonAction.TRIM, 31), "ci:trim:31"),
        (CheckinButton(ButtonAction.VISIBILITY, 7, "anonymous"), "ci:vis:7:anonymous"),
    ],
)
def test_callback_data_round_trip(button: CheckinButton, data: str) -> None:
    assert button.encode() == data
    assert CheckinButton.decode(data) == button
    assert len(data.encode()) <= 64  # Telegram's limit for callback data


@pytest.mark.parametrize(
    "junk", ["", "ci", "ci:skip", "ci:skip:", "ci:skip:x", "ci:jump:3", "pf:skip:3",
             "ci:vis:7:", "ci:vis:7:all:more", "ci:skip:²"],
)  # fmt: skip
def test_callback_data_rejects_junk(junk: str) -> None:
    assert CheckinButton.decode(junk) is None


def test_dialogue_state_round_trip_and_junk() -> None:
    assert CheckinState(7).encode() == "checkin:7"
    assert CheckinState(7, editing=31).encode() == "checkin:7:edit:31"
    for state in (CheckinState(7), CheckinState(7, editing=31)):
        assert CheckinState.decode(state.encode()) == state
    for junk in (None, "", "checkin", "checkin:x", "checkin:7:edit", "checkin:7:edit:x",
                 "checkin:7:change:31", "profile:region:onboarding"):  # fmt: skip
        assert CheckinState.decode(junk) is None


def test_broadcast_keys_and_buttons_round_trip() -> None:
    from bot.broadcasts.buttons import BroadcastAction, BroadcastButton
    from bot.purpose_keys import BroadcastKey

    copy = BroadcastKey(3, member_id=42)
    assert copy.encode() == "broadcast:3:member:42"
    assert copy.encode().startswith(BroadcastKey.recipients_prefix(3))
    assert not BroadcastKey(31, 1).encode().startswith(BroadcastKey.recipients_prefix(3))
    assert BroadcastKey.decode(copy.encode()) == copy
    report = BroadcastKey.report(3)
    assert report.encode() == "broadcast:3:report"
    assert BroadcastKey.decode(report.encode()) == report
    assert BroadcastKey.decode("broadcast:3:member:") is None
    button = BroadcastButton(BroadcastAction.SEND, 7)
    assert button.encode() == "bc:send:7" and BroadcastButton.decode("bc:send:7") == button
    assert BroadcastButton.decode("bc:sent:7") is None
