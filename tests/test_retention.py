"""Nothing personal is kept longer than RETENTION: old answers, message texts, spent invites and
members who blocked the bot long ago disappear at start and daily; recent data stays."""

from __future__ import annotations

import datetime as dt
import json

import factories
from sqlmodel import col, select

from sandbox.harness import Harness
from storage.tables import Answer, DeliveryStatus, Invite, Member, OutboxMessage, Participation
from storage.types import utcnow

LONG_AGO = utcnow() - dt.timedelta(days=3 * 365)


async def _count(bot: Harness, model: type, *where: object) -> int:
    async with bot.services.db.session() as session:
        return len((await session.exec(select(model).where(*where))).all())  # type: ignore[call-overload]


async def test_old_answers_and_texts_go_recent_ones_stay(bot: Harness) -> None:
    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    anna_row = await factories.member(bot, anna)
    ben_row = await factories.member(bot, ben)
    old = await factories.round_with_answers(
        bot,
        number=1,
        opened_at=LONG_AGO,
        answers=[(anna_row, 1, "Förderung läuft 2024 aus", []), (ben_row, 1, "Alte Sorgen", [])],
    )
    recent = await factories.round_with_answers(
        bot, number=2, answers=[(anna_row, 1, "Neues Mädchen-Projekt #MINT", [])]
    )
    async with bot.services.db.write() as session:
        stored_ben = await session.get(Member, ben_row.id)
        assert stored_ben is not None
        stored_ben.reachable, stored_ben.unreachable_since = False, LONG_AGO
        session.add(stored_ben)
        session.add(
            OutboxMessage(
                purpose_key="digest:round:1:group:part:1",
                chat_id=-100,
                method="send_message",
                payload={"text": "Anna: Förderung läuft 2024 aus"},
                status=DeliveryStatus.SENT,
                created_at=LONG_AGO,
            )
        )
        session.add(Invite(code="old", created_by=1, expires_at=LONG_AGO))
        session.add(Invite(code="fresh", created_by=1, expires_at=utcnow() + dt.timedelta(days=9)))
        await session.commit()

    await bot.restart(retention=dt.timedelta(days=365))  # the purge runs before updates are taken

    assert await _count(bot, Answer, col(Answer.round_id) == old.id) == 0
    assert await _count(bot, Participation, col(Participation.round_id) == old.id) == 0
    assert await _count(bot, Answer, col(Answer.round_id) == recent.id) == 1
    assert await _count(bot, Member, col(Member.id) == ben_row.id) == 0  # blocked 3 years ago
    assert await _count(bot, Member, col(Member.id) == anna_row.id) == 1
    assert await _count(bot, Invite, col(Invite.code) == "old") == 0
    assert await _count(bot, Invite, col(Invite.code) == "fresh") == 1
    async with bot.services.db.session() as session:
        kept = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.purpose_key == "digest:round:1:group:part:1"
                )
            )
        ).one()
    assert kept.payload == {}  # the text is gone, the key stays so it is never sent again

    # What Anna can see about herself agrees: only the recent answer is left.
    await anna.send("/export")
    export = await anna.next_message()
    assert export.document is not None
    content = export.document["content"].decode("utf-8")
    assert "Neues Mädchen-Projekt" in content
    assert "Förderung läuft 2024 aus" not in content
    json.loads(content)


async def test_nothing_is_purged_within_the_retention_period(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    anna_row = await factories.member(bot, anna)
    await factories.round_with_answers(bot, number=1, answers=[(anna_row, 1, "Noch frisch", [])])
    await bot.restart(retention=dt.timedelta(days=365))
    await anna.send("/export")
    export = await anna.next_message()
    assert export.document is not None
    assert "Noch frisch" in export.document["content"].decode("utf-8")
    assert await _count(bot, Answer) == 1
