"""The demo's last scene: a round closes and its digest reaches the alumni group and Dana.

Works on its own: when no earlier scene left a round behind, it stores one as a finished
check-in would (a few alumni, answers tagged by the theme lexicon, all three visibility
choices). Dana, a coordinator, closes the open round with `/round close`; the group gets the
version for everyone, Dana the coordinators' one; then she asks for one theme on demand.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.themes import hashtags, lexicon_for
from sandbox.driver import Group, Person
from sandbox.harness import Harness
from sandbox.transcript import Transcript
from storage import chats as chat_store
from storage import rounds as round_store
from storage.tables import (
    Answer,
    Cohort,
    Member,
    Participation,
    Question,
    Round,
    RoundQuestion,
    RoundStatus,
)
from storage.types import utcnow

FALLBACK_QUESTIONS = (
    "Was beschäftigt dich gerade in deinem Netzwerk?",
    "Wo hättest du gern Input oder Kontakte von den anderen Alumni?",
)
# name, cohort, region, visibility, (question position, answer)
ALUMNI = (
    (
        "Jonas Weber",
        "Jahrgang 2022",
        "MINT-Region Ostwestfalen",
        "all",
        (
            (1, "Wir gewinnen Honorarkräfte über lokale Influencer – Instagram wirkt!"),
            (2, "Gibt es irgendwo ein lokales Bildungsportal, das Eltern gut erreicht?"),
        ),
    ),
    (
        "Mia Krause",
        "Jahrgang 2023",
        "MINT-Netzwerk Lausitz",
        "coordinators",
        ((1, "Die Personalstelle ist nur bis Juni gesichert, die Förderung läuft aus."),),
    ),
    (
        "Leyla Aydın",
        "Jahrgang 2024",
        "zdi-Netzwerk Ruhr",
        "anonymous",
        (
            (1, "Die Präsenzangebote laufen wieder – die Ferienkurse sind voll. #Ferienkurse"),
            (2, "Wer hat Erfahrung mit Sozialraumkoordinator:innen als Multiplikator:innen?"),
        ),
    ),
)


async def scene(harness: Harness, transcript: Transcript) -> tuple[Person, Group]:
    """Returns Dana and the alumni group, for the scenes after it."""
    dana = await _coordinator(harness)
    group = await _alumni_group(harness, transcript, dana)
    async with harness.services.db.session() as session:
        latest = await round_store.latest_round(session)
    if latest is None:
        latest = await _seed_open_round(harness)
    number = latest.number
    if latest.status == RoundStatus.OPEN:
        transcript.scene(f"Dana closes round {number}; the digest goes out")
        transcript.said(dana, "/round close")
        await dana.send("/round close")
        transcript.bot(group, await group.expect(f"Digest Runde {number}", timeout=10))
        transcript.bot(dana, await dana.expect(f"Digest Runde {number}", timeout=10))
    transcript.scene("Dana asks for one theme, without names")
    transcript.said(dana, "/digest thema=förderung anonym")
    await dana.send("/digest thema=förderung anonym")
    transcript.bot(dana, await dana.expect(f"Digest Runde {number}", timeout=10))
    return dana, group


async def _coordinator(harness: Harness) -> Person:
    """Dana coordinates the alumni network (stored as onboarding would leave her)."""
    dana = harness.world.user("Dana", last_name="Koch")
    dana.user.started_bot = True
    async with harness.services.db.write() as session:
        session.add(
            Member(
                telegram_id=dana.id,
                display_name="Dana Koch",
                region="MINT-Region Südpfalz",
                consent_at=utcnow(),
                is_coordinator=True,
            )
        )
        await session.commit()
    return dana


async def _alumni_group(harness: Harness, transcript: Transcript, dana: Person) -> Group:
    async with harness.services.db.session() as session:
        linked = await chat_store.alumni_group(session)
    if linked is not None:
        return Group(harness.world, harness.server.chats[linked.telegram_id])
    transcript.scene("Dana links the alumni group")
    group = await harness.world.group("Alumni MINT-Netzwerke", members=[dana])
    transcript.said(dana, "/setgroup  (in the group)")
    await group.send(dana, "/setgroup")
    transcript.bot(group, await group.next_message())
    return group


async def _seed_open_round(harness: Harness) -> Round:
    """A round near its end, with answers as the check-in stores them."""
    lexicon = lexicon_for(harness.settings.checkin_themes_file)
    now = utcnow()
    async with harness.services.db.write() as session:
        texts = [q.text_de for q in (await session.exec(select(Question))).all()]
        round_ = Round(number=1, opened_at=now - dt.timedelta(days=13),
                       closes_at=now + dt.timedelta(days=1))  # fmt: skip
        session.add(round_)
        await session.flush()
        assert round_.id is not None
        question_ids = {}
        # The first question, and the one asking for input and contacts (as the answers do).
        asked = [
            texts[0] if texts else FALLBACK_QUESTIONS[0],
            next((t for t in texts if "Input" in t), FALLBACK_QUESTIONS[1]),
        ]
        for position, text in enumerate(asked, 1):
            question = RoundQuestion(round_id=round_.id, position=position, text_de=text)
            session.add(question)
            await session.flush()
            question_ids[position] = question.id or 0
        for name, cohort_name, region, visibility, answers in ALUMNI:
            person = harness.world.user(name.split()[0], last_name=name.split()[1])
            member = await _alumna(
                session, person=person, name=name, cohort_name=cohort_name, region=region
            )
            session.add(Participation(round_id=round_.id, member_id=member, visibility=visibility,
                                      finished_at=now))  # fmt: skip
            for position, text in answers:
                session.add(
                    Answer(
                        round_id=round_.id,
                        round_question_id=question_ids[position],
                        member_id=member,
                        text=text,
                        themes=lexicon.tag(text),
                        hashtags=hashtags(text),
                    )
                )
        await session.commit()
        return round_


async def _alumna(
    session: AsyncSession, *, person: Person, name: str, cohort_name: str, region: str
) -> int:
    cohort = (await session.exec(select(Cohort).where(Cohort.name == cohort_name))).first()
    if cohort is None:
        cohort = Cohort(name=cohort_name)
        session.add(cohort)
        await session.flush()
    person.user.started_bot = True
    member = Member(telegram_id=person.id, display_name=name, region=region,
                    cohort_id=cohort.id, consent_at=utcnow())  # fmt: skip
    session.add(member)
    await session.flush()
    assert member.id is not None
    return member.id
