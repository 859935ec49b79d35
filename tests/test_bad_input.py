"""Any argument to any command, up to Telegram's 4,096 characters, gets a fitting reply.

Property-based: hypothesis writes the arguments (long, empty, markup, odd Unicode, numbers
beyond any range); the bot must answer each one, within Telegram's limits, never with the
generic "something went wrong".
"""

from __future__ import annotations

import factories
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from member_steps import configured_coordinator, stored

from sandbox.harness import Harness

COMMANDS = [
    "pause",
    "pause bis",
    "language",
    "start",
    "checkin",
    "profile",
    "round",
    "round open",
    "questions add",
    "questions edit",
    "questions move",
    "questions remove",
    "invite",
    "invite revoke",
    "digest",
    "cohorts add",
    "cohorts rename",
    "coordinator add",
    "members",
    "frobnicate",
]
GENERIC_ERROR = "schiefgelaufen"
TELEGRAM_LIMIT = 4096

arguments = st.one_of(
    st.text(max_size=4000),
    st.text(alphabet="0123456789d.:-h ", max_size=40),
    st.builds(lambda n: str(n), st.integers(min_value=-(10**30), max_value=10**30)),
    st.just("x" * 4000),
    st.just("<b>" * 1000),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=st.sampled_from(COMMANDS), argument=arguments)
async def test_every_command_answers_any_argument_within_limits(
    bot: Harness, command: str, argument: str
) -> None:
    carla = configured_coordinator(bot)
    if await stored(bot, carla) is None:
        await factories.member(bot, carla, coordinator=True)
    assert bot.app is not None and bot.app.intake is not None
    intake = bot.app.intake
    before, seen, rejected = intake.handled, len(carla.messages), len(bot.server.rejected)
    text = f"/{command} {argument}"[:TELEGRAM_LIMIT]
    await carla.send(text)
    await carla.wait_until(lambda: intake.handled > before, "the command to be handled")
    replies = carla.messages[seen:]
    assert replies, f"no reply to {text[:80]!r}"
    assert all(len(reply.raw_text) <= TELEGRAM_LIMIT for reply in replies)
    assert not any(GENERIC_ERROR in reply.text for reply in replies), replies[-1].text[:300]
    assert bot.server.rejected[rejected:] == []
    carla.mark_read()
