"""The guided profile: after consent, and whenever a member changes a field with /profile.

Button data: `pf:<action>:<step>[:<arg>]` — the step names the question the button belongs to,
so a button pressed on an old message cannot change a field the member is not at.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import profile
from bot.profile import Mode, Position, Problem, Step
from bot.services import BotContext
from handlers.common import reply, send_text
from storage import members as member_store
from storage.tables import Member

CALLBACK_PATTERN = r"^pf:"


@dataclass
class Hint:
    """A typed answer that could not be taken, and what to tell the member."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


def _text(context: BotContext, member: Member, key: str, **params: object) -> str:
    return str(context.services.translate(member.language, key, **params))


def _button(
    context: BotContext, member: Member, key: str, data: str, **params: object
) -> InlineKeyboardButton:
    return InlineKeyboardButton(_text(context, member, key, **params), callback_data=data)


# ------------------------------------------------------------------------------ asking


async def _keyboard(
    session: AsyncSession, context: BotContext, member: Member, position: Position
) -> InlineKeyboardMarkup:
    """Buttons for one step: the choices first, then back/keep/skip."""
    rows: list[list[InlineKeyboardButton]] = []
    if position.step is Step.COHORT:
        for cohort in await member_store.list_cohorts(session):
            data = f"pf:pick:cohort:{cohort.id}"
            rows.append([InlineKeyboardButton(cohort.name, callback_data=data)])
    if position.step is Step.REGION:
        for region in await member_store.known_regions(session):
            data = f"pf:pick:region:{profile.region_token(region)}"
            rows.append([InlineKeyboardButton(region, callback_data=data)])
    step = position.step.value
    controls: list[InlineKeyboardButton] = []
    if position.mode is Mode.EDIT:
        controls.append(_button(context, member, "profile.button.keep", f"pf:keep:{step}"))
        if position.skippable:
            controls.append(_button(context, member, "profile.button.clear", f"pf:skip:{step}"))
    else:
        if position.previous() is not None:
            controls.append(_button(context, member, "profile.button.back", f"pf:back:{step}"))
        if position.step is Step.NAME and member.display_name:
            controls.append(_button(context, member, "profile.button.take", f"pf:keep:{step}"))
        if position.skippable:
            controls.append(_button(context, member, "profile.button.skip", f"pf:skip:{step}"))
    rows.append(controls)
    return InlineKeyboardMarkup(rows)


async def _current_value(session: AsyncSession, member: Member, step: Step) -> str | None:
    if step is Step.COHORT:
        if member.cohort_id is None:
            return None
        cohort = await member_store.get_cohort(session, cohort_id=member.cohort_id)
        return cohort.name if cohort else None
    return profile.value_of(member, step)


async def ask(
    update: Update, context: BotContext, member: Member, *, problem: Hint | None = None
) -> None:
    """The member sees the question of the step they are at (after what went wrong, if so)."""
    position = Position.parse(member.awaiting)
    if position is None:
        return
    async with context.services.db.session() as session:
        current = await _current_value(session, member, position.step)
        keyboard = await _keyboard(session, context, member, position)
    lines = []
    if problem is not None:
        lines.append(_text(context, member, problem.key, **problem.params))
    plan = profile.PLANS.get(position.mode)
    if plan is not None and problem is None:
        n, total = plan.index(position.step) + 1, len(plan)
        lines.append(_text(context, member, "profile.progress", n=n, total=total))
    lines.append(_text(context, member, f"profile.ask.{position.step}"))
    if current:
        lines.append(_text(context, member, "profile.current", value=current))
    await send_text(update, context, "\n".join(lines), reply_markup=keyboard)


async def show(
    update: Update, context: BotContext, member: Member, *, heading: str | None = None
) -> None:
    """The member sees their profile with a button for every field."""
    async with context.services.db.session() as session:
        cohort = (
            await member_store.get_cohort(session, cohort_id=member.cohort_id)
            if member.cohort_id is not None
            else None
        )
    translate = context.services.translate
    summary = str(profile.render(member, cohort, translate, member.language))
    text = f"{_text(context, member, heading)}\n\n{summary}" if heading else summary

    def edit(step: Step) -> InlineKeyboardButton:
        return _button(context, member, f"profile.field.{step}", f"pf:edit:{step}")

    job = _button(context, member, "profile.button.job", "pf:job:organisation")
    markup = InlineKeyboardMarkup(
        [
            [edit(Step.NAME), edit(Step.COHORT)],
            [edit(Step.REGION), edit(Step.ORGANISATION)],
            [edit(Step.ROLE), job],
        ]
    )
    await send_text(update, context, text, reply_markup=markup)


async def continue_after(
    update: Update, context: BotContext, member: Member, finished: Mode
) -> None:
    """After a change: the next question, or the finished profile."""
    if member.awaiting is not None:
        await ask(update, context, member)
    elif finished is Mode.ONBOARDING:
        await show(update, context, member, heading="profile.done")
    else:
        await show(update, context, member, heading="profile.saved")


# ------------------------------------------------------------------------------ moving on


async def _arrive(
    session: AsyncSession, member: Member, position: Position | None, *, forward: bool
) -> None:
    """Stand at `position` (None: the end); onboarding passes over a cohort that an invite
    chose already or that cannot be chosen because no cohort is configured yet."""
    while (
        position is not None
        and position.step is Step.COHORT
        and position.mode is Mode.ONBOARDING
        and (
            (forward and member.cohort_id is not None)
            or not await member_store.list_cohorts(session)
        )
    ):
        position = position.next() if forward else position.previous()
    member.awaiting = position.awaiting if position else None


async def start_onboarding(session: AsyncSession, member: Member) -> None:
    await _arrive(session, member, profile.first(Mode.ONBOARDING), forward=True)


async def _take_text(
    session: AsyncSession, member: Member, position: Position, text: str | None
) -> Hint | None:
    """Store a typed answer and move on; or say what is wrong with it (nothing is lost)."""
    if text is None:
        return Hint("profile.problem.not_text")
    if position.step is Step.COHORT:
        cohort = profile.match_cohort(text, await member_store.list_cohorts(session))
        if cohort is None:
            return Hint("profile.problem.unknown_cohort", {"typed": profile.clean(text)[:64]})
        member.cohort_id = cohort.id
    else:
        checked = profile.check(position.step, text)
        if checked.problem is Problem.EMPTY:
            return Hint("profile.problem.empty")
        if checked.problem is Problem.TOO_LONG:
            # Kept in the database and shown back, so the member can shorten it.
            member.draft = checked.value
            params = {
                "limit": profile.MAX_LENGTH[position.step],
                "length": len(checked.value),
                "draft": checked.value[:3000],
            }
            return Hint("profile.problem.too_long", params)
        profile.set_value(member, position.step, checked.value)
    member.draft = None
    await _arrive(session, member, position.next(), forward=True)
    return None


async def on_text(update: Update, context: BotContext, _member: Member) -> None:
    """The member's message is the answer to the profile question they are at."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        position = Position.parse(member.awaiting if member else None)
        if member is None or position is None:
            return
        problem = await _take_text(session, member, position, message.text)
        await member_store.save_member(session, member=member)
        await session.commit()
    if problem is not None:
        await ask(update, context, member, problem=problem)
    else:
        await continue_after(update, context, member, position.mode)


# ------------------------------------------------------------------------------ buttons


async def _take_button(
    session: AsyncSession, member: Member, position: Position, action: str, arg: str
) -> Hint | None:
    if action == "keep":
        await _arrive(session, member, position.next(), forward=True)
    elif action == "skip" and position.skippable:
        profile.set_value(member, position.step, None)
        await _arrive(session, member, position.next(), forward=True)
    elif action == "back":
        await _arrive(session, member, position.previous(), forward=False)
    elif action == "pick" and position.step is Step.COHORT and arg.isdigit():
        cohort = await member_store.get_cohort(session, cohort_id=int(arg))
        if cohort is None:
            return Hint("profile.problem.cohort_gone")
        member.cohort_id = cohort.id
        await _arrive(session, member, position.next(), forward=True)
    elif action == "pick" and position.step is Step.REGION:
        region = profile.region_for_token(arg, await member_store.known_regions(session))
        if region is None:
            return Hint("profile.problem.region_gone")
        member.region = region
        await _arrive(session, member, position.next(), forward=True)
    else:
        return Hint("profile.problem.stale")
    member.draft = None
    return None


def _position_for(member: Member, action: str, step: str) -> Position | None:
    """Where the button puts the member: /profile buttons start something new; any other
    button must belong to the question the member is at now."""
    if action == "edit":
        return Position(Step(step), Mode.EDIT)
    if action == "job":
        return profile.first(Mode.JOB)
    position = Position.parse(member.awaiting)
    return position if position is not None and position.step.value == step else None


async def on_button(update: Update, context: BotContext) -> None:
    """A profile button: choose, keep, skip, go back, or start changing a field."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    action, step, arg = [*query.data.split(":", 3)[1:], "", ""][:3]
    if step not in {s.value for s in Step}:
        return
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        if member is None:
            await reply(update, context, "member.not_registered")
            return
        position = _position_for(member, action, step)
        problem: Hint | None = None
        if position is None:
            problem = Hint("profile.problem.stale")
        elif action in {"edit", "job"}:
            member.awaiting = position.awaiting
        else:
            problem = await _take_button(session, member, position, action, arg)
        await member_store.save_member(session, member=member)
        await session.commit()
    await _remove_buttons(update)
    if problem is not None or position is None:
        await _after_problem(update, context, member, problem)
    elif action in {"edit", "job"}:
        await ask(update, context, member)
    else:
        await continue_after(update, context, member, position.mode)


async def _after_problem(
    update: Update, context: BotContext, member: Member, problem: Hint | None
) -> None:
    if member.awaiting is not None:
        await ask(update, context, member, problem=problem)
    elif problem is not None:
        await send_text(update, context, _text(context, member, problem.key, **problem.params))


async def _remove_buttons(update: Update) -> None:
    """The question just answered loses its buttons, so it cannot be answered twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    with contextlib.suppress(TelegramError):  # an old or already edited message
        await query.edit_message_reply_markup(reply_markup=None)
