"""The demo's check-in scene: a coordinator opens a round, alumni answer, skip and postpone.

Leaves the round open, so the digest scene that follows can close it with `/round close`.
"""

from __future__ import annotations

from sqlmodel import select

from sandbox.driver import Person
from sandbox.harness import Harness
from sandbox.transcript import Transcript
from storage.tables import Cohort, Member
from storage.types import utcnow


async def _member(
    harness: Harness,
    person: Person,
    *,
    name: str,
    cohort: str,
    region: str,
    language: str = "de",
    coordinator: bool = False,
) -> None:
    """Store `person` as onboarding would leave them (the demo showed onboarding once)."""
    person.user.started_bot = True
    async with harness.services.db.write() as session:
        found = (await session.exec(select(Cohort).where(Cohort.name == cohort))).first()
        if found is None:
            found = Cohort(name=cohort)
            session.add(found)
            await session.flush()
        session.add(
            Member(
                telegram_id=person.id,
                display_name=name,
                cohort_id=found.id,
                region=region,
                language=language,
                is_coordinator=coordinator,
                # Kim coordinates but is not asked herself (no consent to store answers).
                consent_at=None if coordinator else utcnow(),
            )
        )
        await session.commit()


async def scene(harness: Harness, transcript: Transcript, anna: Person) -> None:
    world = harness.world
    kim = world.user("Kim", last_name="Berger")
    ben = world.user("Ben", last_name="Yilmaz")
    clara = world.user("Clara", language="en")
    await _member(harness, kim, name="Kim Berger", cohort="Jahrgang 2022",
                  region="MINT-Netzwerk Bremen", coordinator=True)  # fmt: skip
    await _member(harness, ben, name="Ben Yilmaz", cohort="Jahrgang 2022",
                  region="zdi-Netzwerk Münsterland")  # fmt: skip
    await _member(harness, clara, name="Clara Novak", cohort="Jahrgang 2024",
                  region="MINT-Region Leipzig", language="en")  # fmt: skip

    transcript.scene("A coordinator opens the check-in round")
    await transcript.say(kim, "/round open 14d")
    for person in (anna, ben, clara):
        transcript.bot(person, await person.next_message())

    transcript.scene("Anna answers, skips one question and chooses who sees her answers")
    await transcript.say(anna, "Die Förderung für unser Mädchen-Projekt läuft im Juni aus.")
    await transcript.say(anna, "Zeit ist knapp, die Stelle ist nur halb finanziert.")
    await transcript.press(anna, "Überspringen")
    await transcript.say(anna, "Wer hat Erfahrung mit Honorarkräften für Ferienkurse?")
    await transcript.say(anna, "Nichts Neues – ich bleibe im Bildungsbüro. #Elternarbeit")
    transcript.pressed(anna, "Nur für die Koordinator:innen")
    await anna.press("Nur für die Koordinator:innen")
    await anna.wait_until(lambda: "✓ Nur" in " ".join(anna.last.button_texts), "the choice")
    transcript.bot(anna, anna.last)

    transcript.scene("Ben postpones, Clara answers in English")
    await transcript.press(ben, "Später")
    await transcript.say(clara, "Our in-person workshops are back and fully booked!")
    await transcript.say(clara, "Funding is fine this year; staff is the bottleneck.")

    transcript.scene("Ben comes back later and continues where he left off")
    await transcript.say(ben, "/checkin")
    await transcript.say(ben, "Wir testen Instagram-Reels zur Berufsorientierung.")

    transcript.scene("The coordinator checks who is missing")
    await transcript.say(kim, "/round")
