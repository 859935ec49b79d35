"""Polls end to end: coordinators ask with /poll, alumni vote, the bot keeps every vote,
reminds who has not voted, closes on time (also after a restart) and posts the result once."""

from __future__ import annotations

import datetime as dt
import json

import factories
from member_steps import configured_coordinator
from outbox_steps import settled_rows
from sqlmodel import select

from sandbox.driver import Group, Person
from sandbox.harness import Harness
from sandbox.server import SentMessage
from storage.tables import Poll, PollCopy, PollDraft, PollVote

TOPIC = "/poll Welches Thema nehmen wir? | Förderung | Social Media | Eltern"


async def polls(bot: Harness) -> list[Poll]:
    async with bot.services.db.session() as session:
        return list((await session.exec(select(Poll).order_by(Poll.id))).all())  # type: ignore[arg-type]


async def votes(bot: Harness) -> list[PollVote]:
    async with bot.services.db.session() as session:
        return list((await session.exec(select(PollVote).order_by(PollVote.id))).all())  # type: ignore[arg-type]


async def copies(bot: Harness) -> list[PollCopy]:
    async with bot.services.db.session() as session:
        return list((await session.exec(select(PollCopy).order_by(PollCopy.id))).all())  # type: ignore[arg-type]


async def sent_copies(bot: Harness, count: int) -> list[PollCopy]:
    """Wait until `count` native copies went out and their Telegram ids are stored."""
    await settled_rows(bot, "poll:")
    found = [copy for copy in await copies(bot) if copy.telegram_poll_id]
    assert len(found) == count, found
    return found


async def all_handled(bot: Harness) -> None:
    """Every update so far was handled: the bot confirms an update only once it is done."""
    server = bot.server
    assert await server.wait_for(lambda: server.pending_update_count == 0, 15, external=True)


async def group_with_alumni(bot: Harness) -> tuple[Person, Group, list[Person]]:
    carla = configured_coordinator(bot)
    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    await factories.member(bot, anna)
    await factories.member(bot, ben, cohort_name="Jahrgang 2023")
    group = await factories.alumni_group(bot, "Alumni", members=[carla, anna, ben])
    return carla, group, [anna, ben]


async def group_poll(group: Group, *, needle: str = "Welches Thema") -> SentMessage:
    message = await group.expect(needle)
    assert message.poll is not None, message
    return message


async def test_a_group_poll_stores_votes_changes_and_retractions(bot: Harness) -> None:
    carla, group, (anna, ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC + " mehrfach")
    message = await group_poll(group)
    assert message.poll is not None
    assert [o["text"] for o in message.poll["options"]] == ["Förderung", "Social Media", "Eltern"]
    assert message.poll["allows_multiple_answers"] is True
    assert message.poll["is_anonymous"] is False
    await sent_copies(bot, 1)

    await anna.vote(message, [0, 2])
    await ben.vote(message, [1])
    await all_handled(bot)
    assert sorted(vote.option_ids for vote in await votes(bot)) == [[0, 2], [1]]
    await anna.vote(message, [2])  # changed her mind
    await ben.vote(message, [])  # took it back
    await all_handled(bot)
    [vote] = await votes(bot)
    assert vote.option_ids == [2] and vote.member_id is not None
    [poll] = await polls(bot)
    assert poll.allows_multiple and poll.closed_at is None


async def test_a_private_poll_to_fifty_members_counts_as_one(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    people = [bot.world.user(f"Alumna{index:02d}") for index in range(50)]
    for person in people:
        await factories.member(bot, person)
    await carla.send("/poll Treffen in Hamburg am 15.09.? | Ja | Nein an=alle bis=3d")
    await carla.expect("geht privat an 50 Alumni", "Erinnerung")
    copies_sent = await sent_copies(bot, 50)
    assert {copy.chat_id for copy in copies_sent} == {person.id for person in people}

    for index, person in enumerate(people[:20]):
        poll_message = person.last
        await person.vote(poll_message, [0 if index < 15 else 1])
    await all_handled(bot)
    assert len(await votes(bot)) == 20

    await carla.send("/poll ergebnis 1")
    result = await carla.expect("Zwischenstand Umfrage #1")
    assert "Ja – 15 (75 %)" in result.text and "Nein – 5 (25 %)" in result.text
    assert "Abgestimmt: 20" in result.text
    assert "Alumna00" in result.text  # the coordinator sees who chose what
    chart = await carla.next_message()
    assert chart.method == "sendPhoto"
    assert chart.document is not None and chart.document["content"].startswith(b"\x89PNG")


async def test_the_poll_closes_on_time_across_a_restart_and_posts_once(bot: Harness) -> None:
    carla, group, (anna, _ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC + " bis=2h")
    message = await group_poll(group)
    assert message.poll is not None and message.poll.get("close_date")
    await sent_copies(bot, 1)
    await bot.restart()  # between sending and voting
    await anna.vote(message, [1])
    await all_handled(bot)
    assert [vote.option_ids for vote in await votes(bot)] == [[1]]

    await bot.stop()
    await bot.clock.advance(dt.timedelta(hours=3))  # the close time passes while it is down
    await bot.start()
    result = await group.expect("Ergebnis Umfrage #1")
    assert "Social Media – 1 (100 %)" in result.text
    await settled_rows(bot, "poll:1:result")
    [poll] = await polls(bot)
    assert poll.closed_at is not None and poll.result_queued_at is not None

    await bot.restart()
    await group.expect_nothing(within=0.5)
    assert sum("Ergebnis Umfrage" in m.text for m in group.messages) == 1


async def test_a_coordinator_closes_early_and_later_votes_do_not_count(bot: Harness) -> None:
    carla, group, (anna, _ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC)
    message = await group_poll(group)
    await sent_copies(bot, 1)
    await anna.vote(message, [0])
    await all_handled(bot)
    await carla.send("/poll schliessen 1")
    await carla.expect("Umfrage #1 ist beendet")
    result = await group.expect("Ergebnis Umfrage #1")
    assert "Förderung – 1 (100 %)" in result.text
    await settled_rows(bot, "poll:1:")
    assert message.poll is not None and bot.server.polls[message.poll["id"]]["is_closed"]
    await carla.send("/poll schliessen 1")
    await carla.expect("schon beendet")
    assert sum("Ergebnis Umfrage" in m.text for m in group.messages) == 1


async def test_reminders_go_once_to_active_members_who_have_not_voted(bot: Harness) -> None:
    carla, group, (anna, ben) = await group_with_alumni(bot)
    cleo = bot.world.user("Cleo")
    await factories.member(
        bot, cleo, paused_until=bot.clock.now() + dt.timedelta(days=30)
    )  # paused: no reminder
    await group.send(carla, TOPIC + " bis=2d")
    message = await group_poll(group)
    await sent_copies(bot, 1)
    await anna.vote(message, [0])
    await all_handled(bot)

    await bot.clock.advance(dt.timedelta(days=1, minutes=1))  # halfway
    await ben.expect("Kurze Erinnerung", "Welches Thema nehmen wir?", "Alumni-Gruppe")
    await settled_rows(bot, "poll:1:remind")
    await bot.restart()
    await bot.clock.advance(dt.timedelta(minutes=1))
    await ben.expect_nothing(within=0.3)
    assert sum("Erinnerung" in m.text for m in ben.messages) == 1
    assert not any("Erinnerung" in m.text for m in anna.messages)
    assert not any("Erinnerung" in m.text for m in cleo.messages)


async def test_every_limit_violation_is_answered_and_shows_back_what_was_typed(
    bot: Harness,
) -> None:
    carla, group, _ = await group_with_alumni(bot)
    thirteen = " | ".join(f"Option {n}" for n in range(13))
    cases = [
        ("/poll Nur eine Frage | Ja", "mindestens 2 Antworten"),
        (f"/poll Frage? | {thirteen}", "höchstens 12"),
        ("/poll " + "Sehr lange Frage " * 20 + "| Ja | Nein", "höchstens 300"),
        ("/poll Frage? | Ja | " + "x" * 101, "Antwort 2"),
        ("/poll Frage? | Ja | ja", "zweimal"),
        ("/poll Frage? | Ja | Nein bis=quatsch", "verstehe ich nicht"),
        ("/poll Frage? | Ja | Nein bis=01.01.2020", "Vergangenheit"),
        ("/poll Frage? | Ja | Nein bis=400d", "höchstens 365 Tage"),
        ("/poll Frage? | Ja | Nein jahrgang=1999", "gibt es nicht"),
        ("/poll Frage? | Ja | Nein an=niemand", "kenne ich nicht"),
    ]
    for command, needle in cases:
        await carla.send(command)
        answer = await carla.expect(needle)
        assert "So hattest du es geschrieben" in answer.text
        assert command.partition(" ")[2][:40] in answer.text  # nothing typed is lost
        assert len(answer.text) <= 4096
    assert await polls(bot) == []
    assert not any(m.poll for m in group.messages)


async def test_non_coordinators_are_refused_everywhere(bot: Harness) -> None:
    _carla, group, (anna, ben) = await group_with_alumni(bot)
    for command in (TOPIC, "/poll", "/poll schliessen 1"):
        await anna.send(command)
        await anna.expect("nur die Koordinator:innen")
        await group.send(ben, command)
        await group.expect("nur die Koordinator:innen")
    assert await polls(bot) == []


async def test_forget_removes_votes_and_export_contains_them(bot: Harness) -> None:
    carla, group, (anna, ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC)
    message = await group_poll(group)
    await sent_copies(bot, 1)
    await anna.vote(message, [2])
    await ben.vote(message, [1])
    await all_handled(bot)

    await anna.send("/export")
    export = await anna.next_message()
    while export.document is None:
        export = await anna.next_message()
    data = json.loads(export.document["content"])
    assert data["poll_votes"][0]["chosen"] == ["Eltern"]

    await anna.send("/forget")
    await anna.expect("wirklich alles")
    await anna.press("Ja, alles löschen")
    await anna.expect("gelöscht")
    remaining = await votes(bot)
    assert len(remaining) == 1 and remaining[0].option_ids == [1]


async def test_an_anonymous_poll_counts_telegrams_totals(bot: Harness) -> None:
    carla, group, (anna, ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC + " anonym")
    message = await group_poll(group)
    assert message.poll is not None and message.poll["is_anonymous"] is True
    await sent_copies(bot, 1)
    await anna.vote(message, [0])
    await ben.vote(message, [0])
    await all_handled(bot)
    assert await votes(bot) == []  # no names are known
    await carla.send("/poll ergebnis 1")
    result = await carla.expect("Zwischenstand")
    assert "Förderung – 2 (100 %)" in result.text and "Anonyme Umfrage" in result.text


async def test_the_guided_dialog_survives_a_restart_and_sends(bot: Harness) -> None:
    carla, group, (_anna, _ben) = await group_with_alumni(bot)
    carla.user.started_bot = True
    await carla.send("/poll")
    await carla.expect("Wie lautet die Frage?")
    await carla.send("Wohin geht das nächste Treffen?")
    await carla.expect("Jetzt die Antworten")
    await carla.send("Hamburg\nKassel")
    await carla.expect("Antworten bisher (2 von höchstens 12)", "Kassel")
    await bot.restart()  # the position is in the database
    await carla.send("Hamburg")
    await carla.expect("steht schon in der Liste")
    await carla.send("Online")
    await carla.expect("Antworten bisher (3")
    await carla.press("Fertig")  # the message turns into the settings
    await carla.wait_until(lambda: "Einstellungen für" in carla.last.text, "settings")
    await carla.press("Mehrfachauswahl: aus")
    await carla.wait_until(
        lambda: "Mehrfachauswahl: an" in str(carla.last.reply_markup), "the switch"
    )
    await carla.press("Ende: ohne Ende")
    await bot.restart()
    await carla.press("Vorschau")
    await carla.wait_until(lambda: "Mehrere Antworten möglich" in carla.last.text, "preview")
    assert "Ende nach: 1d" in carla.last.text and "An: Alumni-Gruppe" in carla.last.text
    await carla.press("Senden")
    await carla.expect("läuft in der Alumni-Gruppe", "endet am")
    message = await group_poll(group, needle="Wohin geht")
    assert message.poll is not None and message.poll["allows_multiple_answers"] is True
    assert [o["text"] for o in message.poll["options"]] == ["Hamburg", "Kassel", "Online"]
    [poll] = await polls(bot)
    assert poll.closes_at is not None
    assert await copies(bot) and not await _drafts(bot)


async def _drafts(bot: Harness) -> list[PollDraft]:
    async with bot.services.db.session() as session:
        return list((await session.exec(select(PollDraft))).all())


async def test_the_guided_dialog_can_be_cancelled_and_keeps_what_was_too_long(
    bot: Harness,
) -> None:
    carla = configured_coordinator(bot)
    carla.user.started_bot = True
    await carla.send("/poll")
    await carla.expect("Wie lautet die Frage?")
    long_question = "Warum? " * 60
    await carla.send(long_question)
    answer = await carla.expect("1 bis 300 Zeichen")
    assert long_question.strip()[:100] in answer.text
    await carla.send("/poll abbrechen")
    await carla.expect("verworfen")
    assert await polls(bot) == []


async def test_members_list_polls_and_see_results_without_names(bot: Harness) -> None:
    carla, group, (anna, ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC + " bis=3d")
    message = await group_poll(group)
    await sent_copies(bot, 1)
    await ben.vote(message, [1])
    await all_handled(bot)
    await anna.send("/polls")
    listing = await anna.expect("Umfragen", "#1")
    assert "läuft bis" in listing.text and "1 Stimmen" in listing.text
    await anna.send("/poll ergebnis 1")
    result = await anna.expect("Zwischenstand Umfrage #1")
    assert "Social Media – 1 (100 %)" in result.text and "Ben" not in result.text
    await anna.send("/poll ergebnis 99")
    await anna.expect("finde ich nicht")


async def test_retention_removes_old_polls_with_their_votes(bot: Harness) -> None:
    from bot.retention import purge

    carla, group, (anna, _ben) = await group_with_alumni(bot)
    await group.send(carla, TOPIC)
    message = await group_poll(group)
    await sent_copies(bot, 1)
    await anna.vote(message, [0])
    await all_handled(bot)
    await carla.send("/poll schliessen 1")
    await carla.expect("ist beendet")
    await bot.stop()
    await bot.clock.advance(bot.settings.retention + dt.timedelta(days=1))
    await bot.start()
    await purge(bot.services)
    assert await polls(bot) == [] and await votes(bot) == [] and await copies(bot) == []
