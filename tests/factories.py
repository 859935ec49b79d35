"""One-line builders for test data that is not what the test is about.

A test of the check-in does not need to click through onboarding: `await member(bot, anna)`
stores Anna as a consented member, exactly as onboarding would leave her.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from sandbox.driver import Group, Person
from sandbox.harness import Harness
from storage.tables import (
    Answer,
    Chat,
    Cohort,
    Member,
    Participation,
    Round,
    RoundQuestion,
    RoundStatus,
)


async def cohort(bot: Harness, name: str) -> Cohort:
    async with bot.services.db.write() as session:
        existing = (await session.exec(select(Cohort).where(Cohort.name == name))).first()
        if existing is not None:
            return existing
        row = Cohort(name=name)
        session.add(row)
        await session.commit()
        return row


async def member(
    bot: Harness,
    person: Person,
    *,
    cohort_name: str | None = "Jahrgang 2022",
    region: str | None = "MINT-Region Nordhessen",
    organisation: str | None = None,
    display_name: str | None = None,
    language: str = "de",
    coordinator: bool = False,
    paused_until: dt.datetime | None = None,
    consented: bool = True,
) -> Member:
    """Store `person` as a member who finished onboarding (and has opened the bot's chat)."""
    person.user.started_bot = True
    cohort_id = (await cohort(bot, cohort_name)).id if cohort_name else None
    async with bot.services.db.write() as session:
        row = Member(
            telegram_id=person.id,
            username=person.user.username,
            language=language,
            consent_at=bot.clock.now() if consented else None,
            display_name=display_name or person.name,
            cohort_id=cohort_id,
            region=region,
            organisation=organisation,
            is_coordinator=coordinator,
            paused_until=paused_until,
        )
        session.add(row)
        await session.commit()
        return row


# --------------------------------------------------------------------------------------------
# Digests (issue 5): a round with answers, as the check-in would leave it
# --------------------------------------------------------------------------------------------

DIGEST_QUESTIONS = (
    "Was beschäftigt dich gerade in deinem Netzwerk?",
    "Wo hättest du gern Input oder Kontakte von den anderen Alumni?",
)

# (member, question position, text or None for skipped, themes)
AnswerSpec = tuple[Member, int, str | None, list[str]]


async def round_with_answers(
    bot: Harness,
    *,
    number: int = 1,
    open: bool = False,
    answers: list[AnswerSpec] | tuple[AnswerSpec, ...] = (),
    visibility: dict[int, str | None] | None = None,
    asked: list[Member] | tuple[Member, ...] = (),
    questions: tuple[str, ...] = DIGEST_QUESTIONS,
    opened_at: dt.datetime | None = None,
) -> Round:
    """A round with its questions, participations (everyone answering or in `asked`, with the
    visibility in `visibility` by member id) and answers (hashtags taken from the text)."""
    from bot.themes import hashtags

    opened = opened_at or bot.clock.now() - dt.timedelta(days=20 if not open else 2)
    async with bot.services.db.write() as session:
        round_ = Round(
            number=number,
            status=RoundStatus.OPEN if open else RoundStatus.CLOSED,
            opened_at=opened,
            closes_at=opened + dt.timedelta(days=14),
            closed_at=None if open else opened + dt.timedelta(days=14),
        )
        session.add(round_)
        await session.flush()
        assert round_.id is not None
        by_position: dict[int, int] = {}
        for position, text in enumerate(questions, 1):
            question = RoundQuestion(
                round_id=round_.id, position=position, text_de=text, text_en=f"(en) {text}"
            )
            session.add(question)
            await session.flush()
            assert question.id is not None
            by_position[position] = question.id
        members = {m.id: m for m in asked} | {spec[0].id: spec[0] for spec in answers}
        for member_id in members:
            assert member_id is not None
            choice = (visibility or {}).get(member_id)
            session.add(Participation(round_id=round_.id, member_id=member_id, visibility=choice))
        for member_row, position, text, themes in answers:
            assert member_row.id is not None
            session.add(
                Answer(
                    round_id=round_.id,
                    round_question_id=by_position[position],
                    member_id=member_row.id,
                    text=text,
                    themes=themes,
                    hashtags=hashtags(text or ""),
                )
            )
        await session.commit()
        return round_


async def alumni_group(bot: Harness, title: str, *, members: list[Person]) -> Group:
    """A group the bot is in, linked as the alumni group (as /setgroup leaves it)."""
    group = await bot.world.group(title, members=members)
    async with bot.services.db.write() as session:
        existing = (await session.exec(select(Chat).where(Chat.telegram_id == group.id))).first()
        chat = existing or Chat(telegram_id=group.id, type="group", title=title)
        chat.is_alumni_group = True
        session.add(chat)
        await session.commit()
    return group
