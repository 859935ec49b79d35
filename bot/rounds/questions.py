"""The question set for future rounds: defaults from what the alumni talk about, and edits.

A running round keeps its own copies (RoundQuestion), so every change here applies from the
next round on. Removing a question deactivates it (old rounds still point at it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.numbers import parse_number
from bot.services import Services
from storage import rounds as store
from storage.tables import Question

MAX_QUESTION_CHARS = 500

# (German, English): the seed article's topics – what occupies the networks, scarce resources,
# ideas that worked, where input is wanted, and personal news (some changed jobs).
DEFAULT_QUESTIONS: tuple[tuple[str, str], ...] = (
    (
        "Was beschäftigt dich gerade in deinem Netzwerk?",
        "What is keeping you busy in your network right now?",
    ),
    (
        "Wie sieht es mit euren Ressourcen aus – Zeit, Geld, Personal, Förderung?",
        "How do your resources look – time, money, staff, funding?",
    ),
    (
        "Welche Idee oder welches Angebot hat bei euch gut funktioniert? "
        "(z. B. Honorarkräfte, Social Media, Berufsorientierung, Eltern, Mädchen-Projekte)",
        "Which idea or offer worked well for you? "
        "(e.g. freelancers, social media, career orientation, parents, girls' projects)",
    ),
    (
        "Wozu hättest du gern Input oder Kontakte von den anderen Alumni?",
        "Where would you like input or contacts from the other alumni?",
    ),
    (
        "Gibt es Neues von dir – zum Beispiel eine neue Stelle oder Rolle?",
        "Any news about you – a new job or role, for example?",
    ),
)


async def seed_defaults(session: AsyncSession) -> bool:
    """Store the default set once, on a database that never had questions; True if it did."""
    if await store.count_questions(session) > 0:
        return False
    for position, (text_de, text_en) in enumerate(DEFAULT_QUESTIONS, 1):
        await store.add_question(session, text_de=text_de, text_en=text_en, position=position)
    return True


class Action(StrEnum):
    LIST = "list"
    ADD = "add"
    EDIT = "edit"
    REMOVE = "remove"
    MOVE = "move"


ACTION_WORDS: dict[str, Action] = {
    "list": Action.LIST,
    "liste": Action.LIST,
    "add": Action.ADD,
    "neu": Action.ADD,
    "edit": Action.EDIT,
    "ändern": Action.EDIT,
    "aendern": Action.EDIT,
    "remove": Action.REMOVE,
    "löschen": Action.REMOVE,
    "loeschen": Action.REMOVE,
    "move": Action.MOVE,
    "verschieben": Action.MOVE,
}


class QuestionError(Exception):
    """Bad input to /questions; `key` names the catalog text that explains how to do it right."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Command:
    action: Action
    number: int | None = None
    target: int | None = None
    text_de: str | None = None
    text_en: str | None = None


def _texts(raw: str) -> tuple[str, str | None]:
    """`Deutscher Text | English text` (the English part is optional)."""
    german, _, english = raw.partition("|")
    german, english = german.strip(), english.strip()
    if not german:
        raise QuestionError("questions.error.text_missing")
    for text in (german, english):
        if len(text) > MAX_QUESTION_CHARS:
            raise QuestionError("questions.error.too_long", limit=MAX_QUESTION_CHARS)
    return german, english or None


def _number(word: str) -> int:
    number = parse_number(word)  # "²" or 20 digits are not numbers here
    if number is None or number < 1:
        raise QuestionError("questions.error.number", given=word)
    return number


def parse_command(args: str) -> Command:
    """What `/questions ...` asks for; raises QuestionError with a helpful text key."""
    words = args.strip().split(maxsplit=1)
    if not words:
        return Command(Action.LIST)
    action = ACTION_WORDS.get(words[0].casefold())
    if action is None:
        raise QuestionError("questions.error.unknown", given=words[0])
    rest = words[1] if len(words) > 1 else ""
    if action is Action.LIST:
        return Command(action)
    if action is Action.ADD:
        return Command(action, text_de=_texts(rest)[0], text_en=_texts(rest)[1])
    head, _, tail = rest.strip().partition(" ")
    if not head:
        raise QuestionError("questions.error.number", given="")
    number = _number(head)
    if action is Action.REMOVE:
        return Command(action, number=number)
    if action is Action.MOVE:
        return Command(action, number=number, target=_number(tail.strip() or "x"))
    german, english = _texts(tail)
    return Command(action, number=number, text_de=german, text_en=english)


async def apply(session: AsyncSession, command: Command) -> list[Question]:
    """Carry out an edit on the active set; returns the set afterwards (caller commits)."""
    questions = list(await store.active_questions(session))
    if command.action is Action.LIST:
        return questions
    if command.action is Action.ADD:
        assert command.text_de is not None
        questions.append(
            await store.add_question(session, text_de=command.text_de, text_en=command.text_en)
        )
    else:
        assert command.number is not None
        if command.number > len(questions):
            raise QuestionError("questions.error.no_such", number=command.number)
        question = questions[command.number - 1]
        if command.action is Action.EDIT:
            assert command.text_de is not None
            question.text_de = command.text_de
            question.text_en = command.text_en  # a stale translation is worse than none
            session.add(question)
        elif command.action is Action.REMOVE:
            question.active = False
            session.add(question)
            questions.remove(question)
        else:
            assert command.target is not None
            questions.remove(question)
            questions.insert(min(command.target, len(questions) + 1) - 1, question)
    await store.save_positions(session, questions=questions)
    return questions


async def change(services: Services, command: Command) -> list[Question]:
    """`/questions ...`: carry out the command in its own transaction and return the set
    afterwards; a QuestionError leaves the set as it was."""
    async with services.db.write() as session:
        try:
            current = await apply(session, command)
        except QuestionError:
            await session.rollback()
            raise
        await session.commit()
    return current
