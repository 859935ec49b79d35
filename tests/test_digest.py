"""Coordinators read a round's digest with /digest: options, filters, files, group posts."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import factories
from outbox_steps import outbox_rows, settled_rows
from sqlmodel import select

from sandbox.driver import Person
from sandbox.harness import Harness
from sandbox.server import SentMessage
from storage.tables import DeliveryStatus, Digest, Member

FOERDERUNG = "Förderung & Finanzen"
SOCIAL = "Social Media"
ELTERN = "Eltern"


@dataclass
class Alumni:
    carla: Person
    anna: Member
    ben: Member
    cleo: Member


async def alumni(bot: Harness) -> Alumni:
    """Carla coordinates; Anna (2022, Nordhessen), Ben (2023, Hamburg), Cleo (2023) answer."""
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True, region="MINT-Region Südpfalz")
    anna = await factories.member(
        bot, bot.world.user("Anna"), display_name="Anna Schmidt", region="MINT-Region Nordhessen"
    )
    ben = await factories.member(
        bot, bot.world.user("Ben"), cohort_name="Jahrgang 2023", region="MINT Hamburg"
    )
    cleo = await factories.member(
        bot, bot.world.user("Cleo"), cohort_name="Jahrgang 2023", region="Netzwerk Ostalb"
    )
    return Alumni(carla, anna, ben, cleo)


async def two_rounds(bot: Harness, people: Alumni) -> None:
    """Round 1 closed (Förderung once); round 2 open (Förderung twice, Social Media once)."""
    await factories.round_with_answers(
        bot,
        number=1,
        answers=[(people.anna, 1, "Die Förderung läuft aus.", [FOERDERUNG])],
        asked=[people.ben],
    )
    await factories.round_with_answers(
        bot,
        number=2,
        open=True,
        answers=[
            (people.anna, 1, "Wir suchen neue Fördermittel. #Elternarbeit", [FOERDERUNG]),
            (people.anna, 2, "Wer kennt gute Instagram-Beispiele?", [SOCIAL]),
            (people.ben, 1, "Unser Antrag beim Land ist durch!", [FOERDERUNG]),
            (people.ben, 2, None, []),  # skipped
        ],
        asked=[people.cleo],
    )


def formatted(message: SentMessage) -> dict[str, str]:
    """The text each entity covers (offsets count UTF-16 units, as Telegram's do)."""
    units = message.text.encode("utf-16-le")
    return {
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"): e["type"]
        for e in message.entities
    }


def text_of(messages: list[SentMessage]) -> str:
    return "\n".join(message.text for message in messages)


# ------------------------------------------------------------------------------ on demand


async def test_latest_round_is_an_interim_digest_in_the_private_chat(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send("/digest")
    message = await people.carla.expect("Digest Runde 2")

    assert "Zwischenstand" in message.text
    assert "Mitgemacht: 2 von 3" in message.text
    assert "Jahrgang 2022: 1 von 1" in message.text
    assert "Jahrgang 2023: 1 von 2" in message.text
    assert "im Vergleich zu Runde 1" in message.text
    assert f"{FOERDERUNG}: 2 (▲ +1)" in message.text
    assert f"{SOCIAL}: 1 (neu)" in message.text
    assert "Anna Schmidt (MINT-Region Nordhessen): Wir suchen neue Fördermittel." in message.text
    assert "Ben (MINT Hamburg): Unser Antrag beim Land ist durch!" in message.text
    assert "1. Was beschäftigt dich" in message.text
    assert "Wer kann weiterhelfen?" in message.text
    assert formatted(message)["Anna Schmidt"] == "bold"
    # Asked directly: a reply, nothing queued, nothing recorded as the scheduled digest.
    assert await outbox_rows(bot, "digest:") == []
    async with bot.services.db.session() as session:
        assert (await session.exec(select(Digest))).all() == []


async def test_a_round_number_picks_that_round(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send("/digest 1")
    message = await people.carla.expect("Digest Runde 1")

    assert "Zwischenstand" not in message.text
    assert "Die Förderung läuft aus." in message.text
    assert "Fördermittel" not in message.text
    assert "im Vergleich" not in message.text  # there is no round before round 1


async def test_anonym_hides_names_and_the_helpers(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send("/digest anonym")
    message = await people.carla.expect("Digest Runde 2", "ohne Namen")

    assert "anonym: Wir suchen neue Fördermittel." in message.text
    assert "Anna" not in message.text and "Nordhessen" not in message.text
    assert "Ben" not in message.text and "Hamburg" not in message.text
    assert "Wer kann weiterhelfen?" not in message.text


async def test_jahrgang_keeps_one_cohort(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send("/digest jahrgang=2023")
    message = await people.carla.expect("Digest Runde 2", "Auswahl: Jahrgang 2023")

    assert "Mitgemacht: 1 von 2" in message.text
    assert "Unser Antrag beim Land" in message.text
    assert "Anna" not in message.text and "Fördermittel" not in message.text
    assert f"{FOERDERUNG}: 1 (neu)" in message.text  # round 1's only answer came from 2022


async def test_thema_matches_a_beginning_and_a_hashtag(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send("/digest thema=social")
    social = await people.carla.expect("Digest Runde 2", f"Thema „{SOCIAL}“")
    assert "Instagram" in social.text
    assert "Fördermittel" not in social.text and "Antrag" not in social.text

    await people.carla.send("/digest thema=#elternarbeit")
    tagged = await people.carla.expect("Digest Runde 2", "Thema „Elternarbeit“")
    assert "Fördermittel" in tagged.text
    assert "Instagram" not in tagged.text


async def test_options_combine_in_any_order(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send('/digest thema="Förderung & Finanzen" anonym 2 jahrgang=2022')
    message = await people.carla.expect("Digest Runde 2")

    assert "Auswahl: Jahrgang 2022, Thema „Förderung & Finanzen“, ohne Namen" in message.text
    assert "anonym: Wir suchen neue Fördermittel." in message.text
    assert "Antrag" not in message.text and "Instagram" not in message.text
    assert "Anna" not in message.text


async def test_bad_options_are_explained(bot: Harness) -> None:
    people = await alumni(bot)
    carla = people.carla
    await carla.send("/digest")
    await carla.expect("noch keine Check-in-Runde")

    await two_rounds(bot, people)
    cases = {
        "/digest bitte": ["„bitte“ kenne ich nicht", "/digest 3 anonym"],
        "/digest 7": ["Runde 7 gibt es nicht", "Vorhandene Runden: 1, 2"],
        "/digest 1 2": ["„2“ widerspricht", "nur einmal"],
        "/digest jahrgang=1999": ["„1999“ finde ich nicht", "Jahrgang 2022, Jahrgang 2023"],
        "/digest jahrgang=jahrgang": ["passt auf mehrere", "Jahrgang 2022, Jahrgang 2023"],
        "/digest jahrgang=": ["fehlt der Wert", "jahrgang=2022"],
        "/digest thema=Raumfahrt": ["„Raumfahrt“ kommt in Runde 2 nicht vor", SOCIAL],
        "/digest runde=x": ["„x“ ist keine Rundennummer"],
        "/digest ²": ["„²“ ist keine Rundennummer", "/digest 3"],
        "/digest 99999999999999999999": ["„99999999999999999999“ ist keine", "/digest 3"],
        "/digest hilfe": ["/digest – die Antworten einer Runde", "jahrgang=2022"],
    }
    for command, needles in cases.items():
        await carla.send(command)
        await carla.expect(*needles)
    assert await outbox_rows(bot, "digest:") == []


async def test_non_coordinators_are_refused_everywhere(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)
    anna = bot.world.user("Anna2")
    await factories.member(bot, anna)
    stranger = bot.world.user("Fremd")
    group = await factories.alumni_group(bot, "Alumni", members=[anna, people.carla])

    await anna.send("/digest")
    await anna.expect("nur die Koordinator:innen")
    await stranger.send("/digest gruppe")
    await stranger.expect("nur die Koordinator:innen")
    await group.send(anna, "/digest gruppe")
    await group.expect("nur die Koordinator:innen")
    assert not any("Fördermittel" in m.text for m in group.messages)
    assert await outbox_rows(bot, "digest:") == []


async def test_in_the_alumni_group_a_coordinator_posts_with_gruppe_and_nothing_else(
    bot: Harness,
) -> None:
    """`/digest gruppe` in the linked group posts the version for all there; every other
    /digest in a group is sent to the private chat, and that text never points back here."""
    people = await alumni(bot)
    await factories.round_with_answers(
        bot,
        answers=[
            (people.anna, 1, "Offen für alle", [FOERDERUNG]),
            (people.ben, 1, "Nur für Koordinator:innen", [FOERDERUNG]),
        ],
        visibility={people.ben.id or 0: "coordinators"},
    )
    carla = people.carla
    group = await factories.alumni_group(bot, "Alumni", members=[carla])
    other = await bot.world.group("Stammtisch", members=[carla])

    for chat, command in [
        (group, "/digest"),
        (group, "/digest 1 anonym"),
        (group, "/digest bitte"),
        (group, "/digest hilfe"),
        (other, "/digest gruppe"),
        (other, "/digest"),
    ]:
        await chat.send(carla, command)
        refusal = await chat.expect("nur im privaten Chat", "Schreib mir privat")
        assert "hier zu posten" not in refusal.text
    assert await outbox_rows(bot, "digest:") == []

    await group.send(carla, "/digest gruppe anonym")
    post = await group.expect("Digest Runde 1", "ohne Namen")
    assert "anonym: Offen für alle" in post.text
    assert "Nur für Koordinator:innen" not in post.text and "🔒" not in post.text
    assert "Anna" not in post.text
    await group.expect_nothing(within=0.2)  # no confirmation: the post is the answer
    rows = await settled_rows(bot, "digest:")
    assert [row.chat_id for row in rows] == [group.id]
    assert rows[0].status == DeliveryStatus.SENT
    assert not any("Digest Runde" in m.text for m in carla.messages + other.messages)

    await group.send(carla, "/digest gruppe thema=raumfahrt")  # meant `gruppe`: explained
    await group.expect("„raumfahrt“ kommt in Runde 1 nicht vor")


async def test_english_coordinators_read_english(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)
    john = bot.world.user("John", language="en")
    await factories.member(bot, john, coordinator=True, language="en")

    await john.send("/digest")
    message = await john.expect("Digest of round 2", "Interim digest")
    assert "(en) Was beschäftigt dich" in message.text
    assert "Who can help?" in message.text


# ------------------------------------------------------------------------------ group and files


async def test_gruppe_needs_a_linked_group(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)

    await people.carla.send("/digest gruppe")
    await people.carla.expect("noch keine Alumni-Gruppe verknüpft", "/setgroup")
    assert await outbox_rows(bot, "digest:") == []


async def test_gruppe_posts_the_version_for_all_through_the_outbox(bot: Harness) -> None:
    people = await alumni(bot)
    await factories.round_with_answers(
        bot,
        answers=[
            (people.anna, 1, "Offen für alle", [FOERDERUNG]),
            (people.ben, 1, "Nur für Koordinator:innen", [FOERDERUNG]),
            (people.cleo, 1, "Ohne Namen bitte", [FOERDERUNG]),
        ],
        visibility={
            people.anna.id or 0: "all",
            people.ben.id or 0: "coordinators",
            people.cleo.id or 0: "anonymous",
        },
    )
    group = await factories.alumni_group(bot, "Alumni MINT", members=[people.carla])

    await people.carla.send("/digest gruppe datei")
    await people.carla.expect("geht jetzt in die Gruppe „Alumni MINT“ (3 Nachrichten)")
    post = await group.expect("Digest Runde 1")
    md = await group.next_message()
    table = await group.next_message()

    assert "Anna Schmidt (MINT-Region Nordhessen): Offen für alle" in post.text
    assert "anonym: Ohne Namen bitte" in post.text
    assert "Nur für Koordinator:innen" not in post.text and "Ben" not in post.text
    assert "Cleo" not in post.text and "🔒" not in post.text
    assert md.document is not None and md.document["file_name"] == "digest-runde-1.md"
    assert table.document is not None and table.document["file_name"] == "digest-runde-1.csv"
    assert b"Ben" not in md.document["content"] + table.document["content"]
    # The coordinator's own chat got the confirmation only, not the digest.
    assert not any("Digest Runde 1" in m.text for m in people.carla.messages)
    rows = await outbox_rows(bot, "digest:")
    assert [row.purpose_key.rsplit(":", 2)[1:] for row in rows] == [
        ["part", "1"],
        ["part", "2"],
        ["part", "3"],
    ]
    rows = await settled_rows(bot, "digest:")
    assert all(row.status == DeliveryStatus.SENT and row.chat_id == group.id for row in rows)
    assert [row.message_id for row in rows] == [post.message_id, md.message_id, table.message_id]


async def test_datei_sends_markdown_and_csv_without_coordinator_only_answers(
    bot: Harness,
) -> None:
    people = await alumni(bot)
    await factories.round_with_answers(
        bot,
        answers=[
            (people.anna, 1, '=HYPERLINK("http://x") *fett* #Eltern', [ELTERN]),
            (people.ben, 1, "Geheim für Koordinator:innen", [ELTERN]),
            (people.cleo, 2, "Anonym, mit Zeilen\nzweite Zeile", []),
        ],
        visibility={people.ben.id or 0: "coordinators", people.cleo.id or 0: "anonymous"},
    )

    await people.carla.send("/digest datei")
    digest = await people.carla.expect("Digest Runde 1")
    md = await people.carla.next_message()
    table = await people.carla.next_message()
    await people.carla.expect("Die Dateien enthalten, was alle Alumni sehen dürfen")

    assert "🔒 Ben (MINT Hamburg): Geheim für Koordinator:innen" in digest.text
    assert md.document is not None and table.document is not None
    markdown = md.document["content"].decode("utf-8")
    assert markdown.startswith("# 📰 Digest Runde 1")
    assert "- **Anna Schmidt** (MINT-Region Nordhessen): =HYPERLINK" in markdown
    assert "\\*fett\\* \\#Eltern" in markdown
    assert "Geheim" not in markdown and "Ben" not in markdown
    assert "- _anonym_: Anonym, mit Zeilen\n  zweite Zeile" in markdown
    rows = list(
        csv.reader(io.StringIO(table.document["content"].decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0] == ["Runde", "Frage Nr.", "Frage", "Gruppiert unter", "Themen", "Hashtags",
                       "Name", "Netzwerk/Region", "Antwort"]  # fmt: skip
    assert rows[1][6:] == ["Anna Schmidt", "MINT-Region Nordhessen",
                           "'=HYPERLINK(\"http://x\") *fett* #Eltern"]  # fmt: skip
    assert rows[1][5] == "#Eltern"
    assert rows[2][6:] == ["anonym", "", "Anonym, mit Zeilen\nzweite Zeile"]
    assert len(rows) == 3
    assert await outbox_rows(bot, "digest:") == []


# ------------------------------------------------------------------------------ hard cases


HOSTILE = [
    "<b>fett?</b> und <script>alert(1)</script>",
    "Tom & Jerry &amp; &lt;co&gt;",
    "unbalanced <i>open and </b> close <a href='x'>",
    "Zeile 1\n<b>Zeile 2\n</b> Zeile 3",
]


async def test_hostile_text_is_escaped_everywhere(bot: Harness) -> None:
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    mallory = await factories.member(
        bot,
        bot.world.user("Mallory"),
        display_name="<i>Mal</b>lory",
        region="R&D <Süd>",
        cohort_name="<b>Jahrgang",
    )
    eve = await factories.member(bot, bot.world.user("Eve"), cohort_name="<b>Jahrgang")
    await factories.round_with_answers(
        bot,
        answers=[
            (mallory, 1, HOSTILE[0], ["<Thema> & Co"]),
            (eve, 1, HOSTILE[1], ["<Thema> & Co"]),
            (mallory, 2, HOSTILE[2], []),
            (eve, 2, HOSTILE[3], []),
        ],
        questions=("Frage <1> & so", "Frage </b>2"),
    )
    group = await factories.alumni_group(bot, "Alumni & <Co>", members=[carla])

    await carla.send("/digest jahrgang=<b>jahrgang thema=<thema> gruppe")
    await carla.expect("geht jetzt in die Gruppe „Alumni & <Co>“")
    post = await group.expect("Digest Runde 1")
    await carla.send("/digest")
    private = await carla.expect("Digest Runde 1")

    for message in (post, private):
        assert "<i>Mal</b>lory (R&D <Süd>): " in message.text
        assert "<Thema> & Co: 2" in message.text
    assert "1. Frage <1> & so" in private.text and "2. Frage </b>2" in private.text
    for text in HOSTILE[:3]:
        assert text in private.text
    assert "Zeile 1\n  <b>Zeile 2\n  </b> Zeile 3" in private.text
    # The sandbox parsed our HTML as Telegram would; user text produced no formatting.
    for shown, kind in formatted(private).items():
        assert kind in {"bold", "italic"}
        assert "script" not in shown and "fett?" not in shown
    rows = await settled_rows(bot, "digest:")
    assert all(row.status == DeliveryStatus.SENT for row in rows)


async def test_a_large_round_is_split_into_numbered_messages(bot: Harness) -> None:
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    members = []
    for index in range(100):
        person = bot.world.user(f"Alum{index:03d}")
        members.append(await factories.member(bot, person, region=f"Netzwerk {index:03d}"))
    themes = [FOERDERUNG, SOCIAL, ELTERN]
    answers = [
        (m, position, f"Antwort {i:03d}/{position}: " + "Wir bauen das Netzwerk aus. " * 3,
         [themes[(i + position) % 3]])
        for i, m in enumerate(members)
        for position in (1, 2, 3)
    ]  # fmt: skip
    await factories.round_with_answers(
        bot, answers=answers, questions=("Erste Frage", "Zweite Frage", "Dritte Frage")
    )

    await carla.send("/digest")
    first = await carla.expect("Digest Runde 1")
    total = int(first.text.rsplit("/", 1)[1].rstrip(")"))
    parts = [first] + [await carla.next_message() for _ in range(total - 1)]

    assert total >= 8
    for index, part in enumerate(parts, 1):
        assert part.text.endswith(f"({index}/{total})")
        assert len(part.raw_text.encode("utf-16-le")) // 2 <= 4096
        assert len(part.text.encode("utf-16-le")) // 2 <= 4096
    everything = text_of(parts)
    for i in range(100):
        for position in (1, 2, 3):
            assert everything.count(f"Antwort {i:03d}/{position}:") == 1
    assert "Mitgemacht: 100 von 100" in everything
    await carla.expect_nothing(within=0.1)


async def test_all_three_visibility_choices(bot: Harness) -> None:
    people = await alumni(bot)
    await factories.round_with_answers(
        bot,
        answers=[
            (people.anna, 1, "Anna für alle", [SOCIAL]),
            (people.ben, 1, "Ben nur Koordination", [SOCIAL]),
            (people.cleo, 1, "Cleo anonym", [SOCIAL]),
        ],
        visibility={
            people.anna.id or 0: None,  # the default: "all"
            people.ben.id or 0: "coordinators",
            people.cleo.id or 0: "anonymous",
        },
    )
    group = await factories.alumni_group(bot, "Alumni", members=[people.carla])

    await people.carla.send("/digest")
    private = await people.carla.expect("Digest Runde 1")
    assert "Anna Schmidt (MINT-Region Nordhessen): Anna für alle" in private.text
    assert "🔒 Ben (MINT Hamburg): Ben nur Koordination" in private.text
    assert "anonym: Cleo anonym" in private.text
    assert "Cleo (" not in private.text and "Ostalb" not in private.text
    assert "🔒 = nur für Koordinator:innen sichtbar" in private.text
    helpers = private.text.split("Wer kann weiterhelfen?")[1]
    assert "Anna Schmidt" in helpers and "🔒 Ben" in helpers and "Cleo" not in helpers
    assert f"{SOCIAL}: 3" in private.text

    await people.carla.send("/digest gruppe")
    post = await group.expect("Digest Runde 1")
    assert "Anna für alle" in post.text and "anonym: Cleo anonym" in post.text
    assert "Ben" not in post.text and "🔒" not in post.text and "Cleo (" not in post.text
    assert f"{SOCIAL}: 2" in post.text  # counts only what the group may read
    helpers = post.text.split("Wer kann weiterhelfen?")[1]
    assert "Anna Schmidt" in helpers and "Ben" not in helpers and "Cleo" not in helpers


async def test_an_empty_round(bot: Harness) -> None:
    people = await alumni(bot)
    await factories.round_with_answers(
        bot, number=1, open=True, asked=[people.anna, people.ben], answers=[]
    )

    await people.carla.send("/digest")
    message = await people.carla.expect("Digest Runde 1", "Zwischenstand")
    assert "Mitgemacht: 0 von 2" in message.text
    assert "Zu dieser Runde gibt es noch keine Antworten." in message.text
    assert "Wer kann weiterhelfen?" not in message.text

    await people.carla.send("/digest jahrgang=2023")
    await people.carla.expect("Zu deiner Auswahl gibt es in dieser Runde keine Antworten.")


async def test_an_erased_member_never_appears(bot: Harness) -> None:
    people = await alumni(bot)
    await two_rounds(bot, people)
    async with bot.services.db.write() as session:  # what /forget does to the member's row
        anna = await session.get(Member, people.anna.id)
        await session.delete(anna)
        await session.commit()

    await people.carla.send("/digest")
    message = await people.carla.expect("Digest Runde 2")
    assert "Anna" not in message.text and "Nordhessen" not in message.text
    assert "Fördermittel" not in message.text and "Instagram" not in message.text
    assert "Unser Antrag beim Land" in message.text
    assert "Mitgemacht: 1 von 2" in message.text
    assert f"{FOERDERUNG}: 1 (neu)" in message.text  # round 1's answer was Anna's: gone too


async def test_coordinators_find_digest_in_their_menu(bot: Harness) -> None:
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    await bot.restart()  # coordinator menus are published at start-up

    menus = [
        commands
        for (scope, _), commands in bot.server.commands.items()
        if f'"chat_id": {carla.id}' in scope
    ]
    assert menus, "no coordinator menu was published"
    digest = [c for c in menus[-1] if c["command"] == "digest"]
    assert digest and "Zusammenfassung einer Runde" in digest[0]["description"]
    member_menus = [c for (scope, _), c in bot.server.commands.items() if "all_private" in scope]
    assert all(c["command"] != "digest" for menu in member_menus for c in menu)
