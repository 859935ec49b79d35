"""The one ordered place where every handler is registered.

Order matters: group -1 sees every update first (bookkeeping that must not block others);
group 0 holds commands before free text, so a command always wins over "answer the question".
"""

from __future__ import annotations

import functools
from typing import Any

from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    PollHandler,
    filters,
)

from bot import purpose_keys
from bot.broadcasts import buttons as broadcast_buttons
from bot.broadcasts import report as broadcast_report
from bot.checkin import buttons as checkin_buttons
from bot.meetups import buttons as meetup_buttons
from bot.meetups import followup as meetup_followup
from bot.meetups import stages as meetup_stages
from bot.meetups.delivery import delivered as meetup_delivered
from bot.meetups.delivery import edit_settled as meetup_edit_settled
from bot.members import reachability
from bot.polls import draft as poll_draft
from bot.polls import reminders as poll_reminders
from bot.polls import votes as poll_votes
from handlers import backups as backups_handler
from handlers import broadcasts as broadcasts_handler
from handlers import checkin as checkin_handler
from handlers import coordinators, edits, errors, groups, members, profile, start
from handlers import digest as digest_handler
from handlers import meetups as meetups_handler
from handlers import polls as polls_handler
from handlers import questions as questions_handler
from handlers import retention as retention_handler
from handlers import rounds as rounds_handler
from handlers.context import AlumniApplication
from handlers.text import TextRouter

PRIVATE = filters.ChatType.PRIVATE


def register_handlers(application: AlumniApplication) -> None:
    # --- edits of sent messages are answered (privately) and go no further: every other
    # handler would otherwise take an edited answer as the next one, or run a command twice
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, edits.on_edited_message), group=-2
    )

    # --- commands in private chats
    application.add_handler(CommandHandler("start", start.start, filters=PRIVATE))
    application.add_handler(CommandHandler("help", start.help_command, filters=PRIVATE))
    _register_members(application)
    _register_digest(application)
    _register_rounds(application)
    _register_polls(application)
    _register_meetups(application)
    _register_broadcasts(application)
    # --- the same member commands written in a group: point to the private chat
    application.add_handler(
        CommandHandler(start.PRIVATE_COMMANDS, start.in_private_please, filters=~PRIVATE)
    )

    # --- free text and media in private chats, routed by where the member's dialogue stands
    router = TextRouter()
    router.claim(polls_handler.draft_text)
    router.claim(meetups_handler.followup_reply)
    router.route("profile", profile.on_text)
    router.route("checkin", checkin_handler.on_text)
    router.route(meetup_followup.STATE_PREFIX, meetups_handler.on_followup_text)
    router.fallback(members.not_registered_fallback)
    router.fallback(checkin_handler.fallback)
    application.add_handler(MessageHandler(PRIVATE & ~filters.COMMAND, router.handle))
    # Last in its group: only a command no handler above knows arrives here. In groups such a
    # command may be meant for another bot, so only private chats get an answer.
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, start.unknown_command))
    # Last of all buttons: old or forged callback data still gets an answer, so the client
    # stops spinning.
    application.add_handler(CallbackQueryHandler(start.outdated_button))

    application.add_error_handler(errors.on_error)


def _register_members(application: AlumniApplication) -> None:
    """Onboarding, profile, privacy rights, coordinators, the alumni group (issue 3)."""
    # Reachability is bookkeeping every feature relies on: group -1, before anything else.
    application.add_handler(ChatMemberHandler(members.on_my_chat_member), group=-1)
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migration))
    application.services.outbox.unreachable_hooks.append(reachability.mark_unreachable)
    for name, callback in (
        ("profile", members.profile_command),
        ("pause", members.pause_command),
        ("resume", members.resume_command),
        ("language", members.language_command),
        ("export", members.export_command),
        ("forget", members.forget_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    # coordinator_only returns an Awaitable-typed callback; PTB's stubs want a Coroutine.
    buttons: tuple[tuple[str, Any], ...] = (
        (start.CALLBACK_PATTERN, start.on_consent_button),
        (profile.CALLBACK_PATTERN, profile.on_button),
        (members.LANGUAGE_PATTERN, members.on_language_button),
        (members.FORGET_PATTERN, members.on_forget_button),
        (coordinators.INVITE_PATTERN, coordinators.on_invite_button),
    )
    for pattern, button in buttons:
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
    # Coordinator commands answer everywhere, so that everyone else is refused everywhere.
    guarded: tuple[tuple[str, Any], ...] = (
        ("invite", coordinators.invite_command),
        ("coordinator", coordinators.coordinator_command),
        ("cohorts", coordinators.cohorts_command),
        ("members", coordinators.members_command),
        ("setgroup", groups.setgroup_command),
    )
    for name, command in guarded:
        application.add_handler(CommandHandler(name, command))


def _register_digest(application: AlumniApplication) -> None:
    """/digest (issue 5): answered everywhere, so non-coordinators are refused everywhere."""
    command: Any = digest_handler.digest_command  # PTB's stubs want a Coroutine type
    application.add_handler(CommandHandler("digest", command))


def _register_rounds(application: AlumniApplication) -> None:
    """Check-in rounds (issue 4): /checkin for members; /round and /questions guarded."""
    application.add_handler(
        CommandHandler("checkin", checkin_handler.checkin_command, filters=PRIVATE)
    )
    application.add_handler(
        CallbackQueryHandler(checkin_handler.on_button, pattern=checkin_buttons.PATTERN)
    )
    application.services.outbox.still_wanted[purpose_keys.CHECKIN_PREFIX] = (
        rounds_handler.still_wanted
    )
    # A prompt or reminder twice is better than none when a crash leaves it uncertain.
    application.services.outbox.at_least_once.add(purpose_keys.CHECKIN_PREFIX)
    guarded: tuple[tuple[str, Any], ...] = (
        ("round", rounds_handler.round_command),
        ("questions", questions_handler.questions_command),
    )
    for name, command in guarded:
        application.add_handler(CommandHandler(name, command))


def _register_polls(application: AlumniApplication) -> None:
    """/poll (issue 11): guarded inside, so non-coordinators are refused everywhere; /polls
    for members in private; the votes Telegram reports."""
    application.add_handler(CommandHandler("poll", polls_handler.poll_command))
    application.add_handler(CommandHandler("polls", polls_handler.polls_command, filters=PRIVATE))
    application.add_handler(
        CallbackQueryHandler(polls_handler.on_draft_button, pattern=poll_draft.PATTERN)
    )
    application.add_handler(PollAnswerHandler(polls_handler.on_poll_answer))
    application.add_handler(PollHandler(polls_handler.on_poll))
    outbox = application.services.outbox
    outbox.still_wanted[purpose_keys.POLL_PREFIX] = poll_reminders.still_wanted
    outbox.delivered_hooks[purpose_keys.POLL_PREFIX] = functools.partial(
        poll_votes.copy_delivered, application.services
    )


def _register_meetups(application: AlumniApplication) -> None:
    """/meetup (issue 12): guarded inside, so non-coordinators are refused everywhere (except
    `teilnehmer`); /meetups for everyone in private; the RSVP buttons."""
    application.add_handler(CommandHandler("meetup", meetups_handler.meetup_command))
    application.add_handler(
        CommandHandler("meetups", meetups_handler.meetups_command, filters=PRIVATE)
    )
    application.add_handler(
        CallbackQueryHandler(meetups_handler.on_button, pattern=meetup_buttons.PATTERN)
    )
    outbox = application.services.outbox
    outbox.still_wanted[purpose_keys.MEETUP_PREFIX] = meetup_stages.still_wanted
    outbox.delivered_hooks[purpose_keys.MEETUP_PREFIX] = functools.partial(
        meetup_delivered, application.services
    )
    outbox.settled_hooks[purpose_keys.MEETUP_PREFIX] = meetup_edit_settled


def _register_broadcasts(application: AlumniApplication) -> None:
    """/broadcast (issue 12): guarded inside, so non-coordinators are refused everywhere; the
    report once the last recipient's row is settled. Scheduled broadcasts wait in the outbox
    (`not_before`), so there is no job to arm."""
    # coordinator_only returns an Awaitable-typed callback; PTB's stubs want a Coroutine.
    command: Any = broadcasts_handler.broadcast_command
    button: Any = broadcasts_handler.on_button
    application.add_handler(CommandHandler("broadcast", command))
    application.add_handler(CallbackQueryHandler(button, pattern=broadcast_buttons.PATTERN))
    services = application.services
    outbox = services.outbox
    outbox.still_wanted[purpose_keys.BROADCAST_PREFIX] = broadcast_report.still_wanted
    outbox.settled_hooks[purpose_keys.BROADCAST_PREFIX] = functools.partial(
        broadcast_report.row_settled, services
    )
    outbox.unreachable_hooks.append(functools.partial(broadcast_report.chat_unreachable, services))


async def on_startup(application: AlumniApplication) -> None:
    """Re-arm what lives in the database (schedules, pending deliveries) after a (re)start."""
    await coordinators.publish_menus_on_startup(application)
    await rounds_handler.arm(application)
    await retention_handler.arm(application)
    await polls_handler.arm(application)
    await meetups_handler.arm(application)
    await backups_handler.arm(application)
    await broadcast_report.catch_up(application.services)

    async def on_clock_changed() -> None:
        """Time jumped ahead (tests, the demo): what fell due meanwhile is caught up as after
        a restart, then the schedules are re-armed from the new "now"."""
        await rounds_handler.arm(application)
        await retention_handler.arm(application)
        await polls_handler.arm(application)
        await meetups_handler.arm(application)
        await backups_handler.arm(application)
        application.services.outbox.wake()

    application.services.clock.on_change(on_clock_changed)
