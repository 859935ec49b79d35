"""The guided profile: after consent, and whenever a member changes a field with /profile.

Button data: `pf:<action>:<step>[:<arg>]` — the step names the question the button belongs to,
so a button pressed on an old message cannot change a field the member is not at.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import checkin
from bot.members import profile
from bot.members.profile import Hint, Mode, Position, Step
from handlers.common import remove_buttons, reply, send_text
from handlers.context import BotContext
from storage import members as member_store
from storage.tables import Member

CALLBACK_PATTERN = r"^pf:"


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
        try:
            await show(update, context, member, heading="profile.done")
        finally:
            # A round opened during onboarding left the member out: ask them now, after the
            # welcome, and even if sending the welcome failed.
            await checkin.invite_after_onboarding(context.services, telegram_id=member.telegram_id)
    else:
        await show(update, context, member, heading="profile.saved")


# ------------------------------------------------------------------------------ answers


async def on_text(update: Update, context: BotContext, _member: Member) -> None:
    """The member's message is the answer to the profile question they are at."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.services.db.write() as session:
        outcome = await profile.answer_text(session, telegram_id=user.id, text=message.text)
        await session.commit()
    if outcome is None or outcome.position is None:
        return
    if outcome.problem is not None:
        await ask(update, context, outcome.member, problem=outcome.problem)
    else:
        await continue_after(update, context, outcome.member, outcome.position.mode)


# ------------------------------------------------------------------------------ buttons


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
        outcome = await profile.press_button(
            session, telegram_id=user.id, action=action, step=step, arg=arg
        )
        await session.commit()
    if outcome is None:
        await reply(update, context, "member.not_registered")
        return
    await remove_buttons(update)
    member, position, problem = outcome.member, outcome.position, outcome.problem
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
