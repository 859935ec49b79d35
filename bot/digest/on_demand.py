"""`/digest`: the digest a coordinator asks for, answered to them or posted to the group."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.digest.assemble import DigestFile, build, files, load, messages
from bot.digest.delivery import enqueue_parts, stored_options
from bot.digest.model import Audience
from bot.digest.options import FLAGS, OptionError, parse_options, tokens
from bot.purpose_keys import DigestSeries
from bot.services import Services
from storage import chats as chat_store


@dataclass
class Outcome:
    """What to answer the coordinator who asked: the digest itself, files, a confirmation."""

    messages: list[str] = field(default_factory=list)
    files: list[DigestFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def on_demand(
    services: Services,
    *,
    text: str,
    language: str,
    chat_id: int,
    message_id: int,
    in_group: bool = False,
) -> Outcome:
    """Answer `/digest <text>`; raises OptionError (with a friendly catalog key) on bad input.

    `chat_id` and `message_id` name the coordinator's command message, so a redelivered update
    posts to the group at most once while a deliberate second request posts again.

    `in_group`: the command was sent in that group chat. There only `gruppe` in the linked
    alumni group itself is done (the version all alumni may see, through the outbox, nothing
    in the answer); anything else is refused with a pointer to the private chat, which never
    sends the coordinator back here.
    """
    group_chat_id = chat_id if in_group else None
    try:
        options = parse_options(text)
    except OptionError:
        if group_chat_id is not None and "group" not in {
            FLAGS.get(t.casefold()) for t in tokens(text)
        }:
            raise OptionError("digest.error.private_only") from None
        raise  # explained; in a group only to someone who meant `gruppe`
    if group_chat_id is not None and not options.group:
        raise OptionError("digest.error.private_only")
    async with services.db.session() as session:
        group = await chat_store.alumni_group(session) if options.group else None
        if options.group and group is None:
            raise OptionError("digest.error.no_group")
        if group_chat_id is not None and (group is None or group.telegram_id != group_chat_id):
            raise OptionError("digest.error.private_only")
        loaded = await load(session, services=services, options=options)
    outcome = Outcome()
    if group is None:
        private = build(services, loaded, options, Audience.COORDINATOR)
        outcome.messages = messages(services, private, language)
        if options.files:
            outcome.files = files(
                services, build(services, loaded, options, Audience.ALUMNI), language
            )
            outcome.notes.append(str(services.translate(language, "digest.files_note")))
        return outcome
    public = build(services, loaded, options, Audience.ALUMNI)
    group_language = services.translate.default_language
    parts = messages(services, public, group_language)
    documents = files(services, public, group_language) if options.files else []
    async with services.db.write() as session:
        await enqueue_parts(
            session,
            services=services,
            series=DigestSeries.request(loaded.rows.number, chat_id=chat_id, message_id=message_id),
            chat_id=group.telegram_id,
            messages=parts,
            files=documents,
            respect_quiet_hours=False,  # a coordinator asked for it just now
            options=stored_options(options, loaded),
        )
        await session.commit()
    services.outbox.wake()
    if group_chat_id is not None:
        return outcome  # the post itself is the answer there
    outcome.notes.append(
        str(
            services.translate(
                language,
                "digest.group_queued",
                number=loaded.rows.number,
                title=group.title or "",
                parts=len(parts) + len(documents),
            )
        )
    )
    return outcome
