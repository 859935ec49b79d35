"""Keep nothing personal longer than RETENTION (DSGVO storage limitation).

Runs at every start and then daily. What goes once it is older than the retention period:
the answers and participations of rounds that closed before it, the text of messages the bot
sent (their purpose keys stay, so nothing is ever sent twice), spent invite links, and the
whole record of members who blocked the bot that long ago (they can no longer use /forget),
polls that closed that long ago with all their votes, meetups that took place that long ago
with their RSVPs and follow-up answers, and broadcasts sent that long ago with their
recipients' rows; unfinished guided /poll drafts, meetup previews nobody announced and unsent
broadcast previews go after a day.
Profiles of members who still use the bot stay: they are what membership consists of.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.purpose_keys import BROADCAST_PREFIX, MEETUP_PREFIX
from bot.services import Services
from storage import broadcasts as broadcast_store
from storage import meetups as meetup_store
from storage import members as member_store
from storage import outbox as outbox_store
from storage import polls as poll_store
from storage import retention as store

DRAFT_LIFETIME = dt.timedelta(days=1)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    answers: int
    rounds: int
    payloads: int
    members: int
    invites: int
    polls: int = 0
    meetups: int = 0
    broadcasts: int = 0


async def purge_expired(
    session: AsyncSession, *, now: dt.datetime, retention: dt.timedelta
) -> PurgeReport:
    """Delete what is older than `retention` at `now`; the caller commits."""
    cutoff = now - retention
    round_ids = await store.rounds_closed_before(session, cutoff=cutoff)
    answers = await store.delete_round_contributions(session, round_ids=round_ids)
    payloads = await store.erase_old_payloads(session, cutoff=cutoff)
    gone = await store.members_unreachable_before(session, cutoff=cutoff)
    for member in gone:
        await member_store.delete_member(session, member=member)
    invites = await store.delete_spent_invites(session, cutoff=cutoff)
    # Polls closed that long ago go whole: question, copies and every vote.
    polls = await poll_store.polls_closed_before(session, cutoff=cutoff)
    # A guided /poll nobody finished within a day is abandoned.
    await poll_store.delete_drafts_before(session, cutoff=now - DRAFT_LIFETIME)
    meetup_ids = await meetup_store.delete_meetups_before(session, cutoff=cutoff)
    for meetup_id in meetup_ids:  # ids may be reused: their keys must not stay behind
        await outbox_store.delete_settled_rows(session, prefix=f"{MEETUP_PREFIX}{meetup_id}:")
    await meetup_store.drafts_before(session, cutoff=now - DRAFT_LIFETIME)
    # Broadcasts sent that long ago go with their recipients' rows (ids may be reused: the
    # keys must not stay behind); a preview nobody sent within a day is abandoned.
    broadcast_ids = await broadcast_store.purge_before(
        session, cutoff=cutoff, drafts_before=now - DRAFT_LIFETIME
    )
    for broadcast_id in broadcast_ids:
        await outbox_store.delete_settled_rows(session, prefix=f"{BROADCAST_PREFIX}{broadcast_id}:")
    report = PurgeReport(
        answers, len(round_ids), payloads, len(gone), invites, polls, len(meetup_ids),
        len(broadcast_ids),
    )  # fmt: skip
    logger.info(
        "retention_purge answers=%d rounds=%d payloads=%d members=%d invites=%d polls=%d "
        "meetups=%d broadcasts=%d",
        report.answers,
        report.rounds,
        report.payloads,
        report.members,
        report.invites,
        report.polls,
        report.meetups,
        report.broadcasts,
    )
    return report


async def purge(services: Services) -> PurgeReport:
    """The purge as one transaction, at the services' clock and retention period."""
    async with services.db.write() as session:
        report = await purge_expired(
            session, now=services.clock.now(), retention=services.settings.retention
        )
        await session.commit()
    return report
