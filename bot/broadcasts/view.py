"""The texts around a broadcast: preview, the answers to its buttons, the delivery report."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from bot.broadcasts.buttons import BroadcastAction, BroadcastButton
from bot.broadcasts.model import Tally, rendered
from bot.checkin.timing import format_moment
from bot.paging import excerpt
from bot.services import Services
from bot.ui import Button, Reply
from storage.tables import Broadcast

EXCERPT_CHARS = 80


def segment(
    services: Services, language: str, broadcast: Broadcast, cohort_name: str | None
) -> Markup:
    translate = services.translate
    parts: list[Markup] = []
    if cohort_name is not None:
        parts.append(translate(language, "broadcasts.segment.cohort", name=cohort_name))
    if broadcast.region is not None:
        parts.append(translate(language, "broadcasts.segment.region", name=broadcast.region))
    if not parts:
        return translate(language, "broadcasts.segment.all")
    return Markup(" · ").join(parts)


def when(services: Services, language: str, moment: dt.datetime | None) -> Markup:
    if moment is None:
        return services.translate(language, "broadcasts.when.now")
    return services.translate(
        language, "broadcasts.when.at", moment=format_moment(moment, language, services)
    )


def preview(
    services: Services,
    language: str,
    broadcast: Broadcast,
    *,
    recipients: int,
    cohort_name: str | None,
) -> list[Reply]:
    """The message exactly as it will arrive, then what it is and the two buttons."""
    assert broadcast.id is not None
    translate = services.translate
    summary = translate(
        language,
        "broadcasts.preview",
        number=broadcast.id,
        count=recipients,
        segment=segment(services, language, broadcast, cohort_name),
        when=when(services, language, broadcast.send_at),
    )
    buttons = [
        Button(
            str(translate(language, "broadcasts.button.send")),
            BroadcastButton(BroadcastAction.SEND, broadcast.id).encode(),
        ),
        Button(
            str(translate(language, "broadcasts.button.cancel")),
            BroadcastButton(BroadcastAction.CANCEL, broadcast.id).encode(),
        ),
    ]
    if services.settings.quiet is not None:
        summary += translate(language, "broadcasts.preview.quiet")
    return [Reply(rendered(broadcast)), Reply(str(summary), [buttons])]


def queued(services: Services, language: str, broadcast: Broadcast) -> Markup:
    """What the preview's summary becomes after "Senden"."""
    key = "broadcasts.queued.later" if broadcast.send_at else "broadcasts.queued.now"
    return services.translate(
        language,
        key,
        number=broadcast.id,
        count=broadcast.recipients,
        when=when(services, language, broadcast.send_at),
    )


def report(
    services: Services,
    language: str,
    broadcast: Broadcast,
    counted: Tally,
    *,
    cohort_name: str | None,
    final: bool,
) -> Markup:
    """The delivery report (`final`: sent once when done) or the status so far."""
    translate = services.translate
    heading = "broadcasts.report.heading" if final else "broadcasts.status.heading"
    lines = [
        translate(language, heading, number=broadcast.id),
        translate(language, "broadcasts.report.text", text=excerpt(broadcast.text, EXCERPT_CHARS)),
        translate(
            language,
            "broadcasts.report.recipients",
            count=counted.recipients,
            segment=segment(services, language, broadcast, cohort_name),
        ),
        translate(language, "broadcasts.report.delivered", count=counted.delivered),
        translate(language, "broadcasts.report.unreachable", count=counted.unreachable),
        translate(language, "broadcasts.report.failed", count=counted.failed),
    ]
    if counted.waiting:
        due = counted.next_due
        if due is not None and due > services.clock.now():
            lines.append(
                translate(
                    language,
                    "broadcasts.report.waiting_until",
                    count=counted.waiting,
                    moment=format_moment(due, language, services),
                )
            )
        else:
            lines.append(translate(language, "broadcasts.report.waiting", count=counted.waiting))
    if counted.withdrawn:
        lines.append(translate(language, "broadcasts.report.withdrawn", count=counted.withdrawn))
    if counted.erased:
        lines.append(translate(language, "broadcasts.report.erased", count=counted.erased))
    return Markup("\n").join(lines)
