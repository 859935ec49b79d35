"""The open round and its questions, cached per application between opens and closes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import rounds as store
from storage.tables import Round, RoundQuestion


@dataclass(frozen=True)
class OpenRound:
    """The open round with its questions; both are fixed while the round runs."""

    round: Round
    questions: list[RoundQuestion]


async def read_open_round(session: AsyncSession) -> OpenRound | None:
    """The open round with its questions (whether its time ran out is `is_open`'s question)."""
    round_ = await store.current_round(session)
    if round_ is None or round_.id is None:
        return None
    return OpenRound(round_, list(await store.round_questions(session, round_id=round_.id)))


class RoundCache:
    """The open round and its questions, read once per open or close instead of per answer.

    Owned by the services (one per application). Only the read path uses it: whether the round
    is still open is checked again inside the transaction that stores an answer. A version
    number guards against a read that started before an open or close committed and would
    otherwise cache the old state.
    """

    def __init__(self) -> None:
        self._known = False
        self._value: OpenRound | None = None
        self._version = 0

    async def get(self, session: AsyncSession) -> OpenRound | None:
        if self._known:
            return self._value
        version = self._version
        value = await read_open_round(session)
        if version == self._version:
            self._known, self._value = True, value
        return value

    @property
    def version(self) -> int:
        """Changes whenever an open or close commits (in this process, where all writes are)."""
        return self._version

    def forget(self) -> None:
        self._version += 1
        self._known, self._value = False, None

    def forget_after_commit(self, session: AsyncSession) -> None:
        """Drop the cached round once the transaction that opens or closes one commits."""
        event.listen(session.sync_session, "after_commit", lambda _s: self.forget(), once=True)
