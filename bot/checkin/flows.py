"""The check-in's use cases: /checkin, a button pressed, free text, the late invitation.

Each one owns its transaction and commits before it returns, so before the bot replies.
`Member.awaiting` only says where free text goes (see `state`); the position in the round is
read from the database every time (see `progress`).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkin.answers import save
from bot.checkin.buttons import ButtonAction, CheckinButton
from bot.checkin.progress import load_progress, read_progress
from bot.checkin.render import (
    VISIBILITIES,
    CheckinReply,
    closed_reply,
    edit_reply,
    no_round_reply,
    postponed_reply,
    render_next,
    render_prompt,
    render_summary,
    text_needed_reply,
    too_long_reply,
)
from bot.checkin.state import CheckinState
from bot.checkin.timing import is_open
from bot.paging import shorten
from bot.payloads import message_payload
from bot.purpose_keys import PromptKey
from bot.services import Services
from storage import members as member_store
from storage import rounds as store
from storage.active_members import is_active_member
from storage.tables import Member, Round, RoundQuestion


async def start(services: Services, *, telegram_id: int) -> CheckinReply | None:
    """`/checkin`: the next unanswered question, else the summary; None if not a member."""
    async with services.db.write() as session:
        member = await _consented_member(session, telegram_id=telegram_id)
        if member is None:
            return None
        reply = await _start(session, services=services, member=member)
        await session.commit()
    return reply


async def press(
    services: Services, *, telegram_id: int, button: CheckinButton
) -> CheckinReply | None:
    """A press on one of the check-in buttons; None if the one pressing is not a member."""
    async with services.db.write() as session:
        member = await _consented_member(session, telegram_id=telegram_id)
        if member is None:
            return None
        reply = await _press(session, services=services, member=member, button=button)
        await session.commit()
    return reply


async def take_text(*, services: Services, member: Member, text: str | None) -> CheckinReply:
    """A message from the member while a check-in may be running.

    The hot path of a round: the round, its questions and the member's own rows are read
    without holding the write lock (the member's updates are processed one at a time, see
    handlers.update_order); one short transaction checks that the round is still open and stores
    the answer. It is committed before this returns, so before the bot replies.
    """
    now = services.clock.now()
    state = CheckinState.decode(member.awaiting)
    edit_id = state.editing if state is not None else None
    seen = services.round_cache.version
    async with services.db.session() as session:
        current = await services.round_cache.get(session)
        progress = (
            await read_progress(session, current=current, member=member)
            if current is not None and is_open(current.round, now)
            else None
        )
    if current is None or progress is None:
        await _update_member(services, member, awaiting=None, draft=None)
        return closed_reply(services, member, now)
    round_id = current.round.id
    assert round_id is not None
    if state is None or state.round_id != round_id:  # left over from an earlier round
        edit_id = None
    rq = progress.find(edit_id) if edit_id else progress.next_question()
    if rq is None:
        return render_summary(services, member, progress)
    if text is None or not text.strip():
        return text_needed_reply(services, member, rq)
    text = text.strip()
    if len(text) > services.settings.answer_max_chars:
        awaiting = member.awaiting or CheckinState(round_id).encode()
        await _update_member(services, member, awaiting=awaiting, draft=text)
        return too_long_reply(services, member, rq, length=len(text))

    async with services.db.write() as session:
        stored = await session.merge(member, load=False)
        # The round may have closed since it was read: an answer after the close is not taken.
        # Every close commits under this lock and bumps the cache's version, so an unchanged
        # version proves the round is still open without asking the database again.
        still: Round | None = current.round
        if services.round_cache.version != seen or not is_open(current.round, services.clock.now()):
            still = await store.get_round(session, round_id=rq.round_id)
        if still is None or not is_open(still, services.clock.now()):
            stored.awaiting, stored.draft = None, None
            await session.commit()
            return closed_reply(services, member, services.clock.now())
        await save(session, services=services, member=stored, progress=progress, rq=rq, text=text)
        await session.commit()
    if edit_id:
        return render_summary(services, member, progress)
    return render_next(services, member, progress, saved=rq)


async def answer_if_asked(
    services: Services, *, member: Member, text: str | None
) -> CheckinReply | None:
    """Free text from a member in no dialogue: their answer if they were asked in the open
    round and have not finished, else None (the message is not the check-in's)."""
    if member.consent_at is None or not await _has_open_question(services, member=member):
        return None
    return await take_text(services=services, member=member, text=text)


async def invite_after_onboarding(services: Services, *, telegram_id: int) -> None:
    """A member just finished the guided profile: while a round is open they get its greeting
    and first question now (they were left out when it opened). Once per round and member."""
    now = services.clock.now()
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        round_ = await store.current_round(session)
        if member is None or member.id is None or member.awaiting is not None:
            return
        if round_ is None or round_.id is None or not is_open(round_, now):
            return
        if not is_active_member(member, now):
            return
        if await store.has_answers(session, round_id=round_.id, member_id=member.id):
            return
        await store.ensure_participation(session, round_id=round_.id, member_id=member.id)
        copies = list(await store.round_questions(session, round_id=round_.id))
        text, markup = render_prompt(services, member, round_, copies)
        queued = await services.outbox.enqueue(
            session,
            key=PromptKey(round_.id, member.id).encode(),
            chat_id=member.telegram_id,
            payload=message_payload(text, buttons=markup),
            respect_quiet_hours=False,  # the member is in the chat right now
        )
        await session.commit()
    if queued:
        services.outbox.wake()


# ------------------------------------------------------------------------------ steps


async def _consented_member(session: AsyncSession, *, telegram_id: int) -> Member | None:
    member = await member_store.get_member(session, telegram_id=telegram_id)
    return member if member is not None and member.consent_at is not None else None


async def _start(session: AsyncSession, *, services: Services, member: Member) -> CheckinReply:
    now = services.clock.now()
    round_ = await store.current_round(session)
    if round_ is None or round_.id is None or not is_open(round_, now):
        member.awaiting = None
        session.add(member)
        return no_round_reply(services, member, now)
    progress = await load_progress(session, round_=round_, member=member)
    progress.participation.postponed_at = None
    session.add(progress.participation)
    member.awaiting = CheckinState(round_.id).encode() if progress.next_question() else None
    session.add(member)
    return render_next(services, member, progress, saved=None)


async def _press(
    session: AsyncSession, *, services: Services, member: Member, button: CheckinButton
) -> CheckinReply:
    now = services.clock.now()
    rq: RoundQuestion | None = None
    if button.names_round:
        round_ = await store.get_round(session, round_id=button.ident)
    else:
        rq = await session.get(RoundQuestion, button.ident)
        round_ = await store.get_round(session, round_id=rq.round_id) if rq else None
    if round_ is None or round_.id is None or not is_open(round_, now):
        return closed_reply(services, member, now)
    progress = await load_progress(session, round_=round_, member=member)
    action = button.action
    if action is ButtonAction.GO:
        return await _start(session, services=services, member=member)
    if action is ButtonAction.LATER:
        progress.participation.postponed_at = now
        session.add(progress.participation)
        member.awaiting = None
        session.add(member)
        return postponed_reply(services, member, round_)
    if action is ButtonAction.VISIBILITY and button.value in VISIBILITIES:
        progress.participation.visibility = button.value
        session.add(progress.participation)
        reply = render_summary(services, member, progress)
        reply.edit = True
        return reply
    if rq is None or rq.id is None:
        return render_next(services, member, progress, saved=None)
    if action is ButtonAction.SKIP:
        if rq.id not in progress.answers:  # else an old message's button: the answer stays
            await save(session, services=services, member=member, progress=progress, rq=rq,
                       text=None)  # fmt: skip
        return render_next(services, member, progress, saved=None)
    if action is ButtonAction.EDIT:
        member.awaiting = CheckinState(round_.id, editing=rq.id).encode()
        session.add(member)
        answer = progress.answers.get(rq.id)
        return edit_reply(services, member, rq, answer.text if answer is not None else None)
    if action is ButtonAction.TRIM and member.draft:
        text = shorten(member.draft, services.settings.answer_max_chars)
        state = CheckinState.decode(member.awaiting)
        editing = state is not None and state.editing is not None
        await save(session, services=services, member=member, progress=progress, rq=rq, text=text)
        if editing:
            return render_summary(services, member, progress)
        return render_next(services, member, progress, saved=rq)
    return render_next(services, member, progress, saved=None)


async def _update_member(
    services: Services, member: Member, *, awaiting: str | None, draft: str | None
) -> None:
    if member.awaiting == awaiting and member.draft == draft:
        return
    async with services.db.write() as session:
        stored = await session.merge(member, load=False)
        stored.awaiting, stored.draft = awaiting, draft
        await session.commit()


async def _has_open_question(services: Services, *, member: Member) -> bool:
    """Was the member asked in the open round and has not finished?"""
    if member.id is None:
        return False
    async with services.db.session() as session:
        current = await store.current_round(session)
        if current is None or current.id is None or not is_open(current, services.clock.now()):
            return False
        participation = await store.get_participation(
            session, round_id=current.id, member_id=member.id
        )
    return participation is not None and participation.finished_at is None
