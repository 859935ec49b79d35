"""The guided profile in Telegram: answers and buttons go to `bot.members.profile_dialogue`,
and what it prepares is sent back."""

from __future__ import annotations

from telegram import Update

from bot.checkin import flows as checkin
from bot.members import profile_dialogue
from bot.members.callbacks import ProfileButton
from bot.members.profile_dialogue import ProfileStep
from handlers.common import remove_buttons, reply, send_replies
from handlers.context import BotContext
from storage.tables import Member

CALLBACK_PATTERN = ProfileButton.PATTERN


async def send_step(update: Update, context: BotContext, step: ProfileStep) -> None:
    """What comes next in the profile; a finished onboarding lets the check-in ask the member."""
    user = update.effective_user
    try:
        await send_replies(update, context, step.replies)
    finally:
        if step.onboarding_finished and user is not None:
            # A round opened during onboarding left the member out: ask them now, after the
            # welcome, and even if sending the welcome failed.
            await checkin.invite_after_onboarding(context.services, telegram_id=user.id)


async def on_text(update: Update, context: BotContext, _member: Member) -> None:
    """The member's message is the answer to the profile question they are at."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    step = await profile_dialogue.answer(context.services, telegram_id=user.id, text=message.text)
    await send_step(update, context, step)


async def on_button(update: Update, context: BotContext) -> None:
    """A profile button: choose, keep, skip, go back, or start changing a field."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    button = ProfileButton.decode(query.data)
    if button is None:
        return
    step = await profile_dialogue.press(context.services, telegram_id=user.id, button=button)
    if step is None:
        await reply(update, context, "member.not_registered")
        return
    await remove_buttons(update)
    await send_step(update, context, step)
