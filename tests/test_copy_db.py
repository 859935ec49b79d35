"""`python -m bot copy-db --to URL`: an SQLite database moves into an empty PostgreSQL one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import col, select
from test_cli import run_bot_cli

from sandbox.postgres import PostgresServer, PostgresUnavailable
from storage.db import Database
from storage.tables import Chat, Cohort, Member, OutboxMessage

BIG_TELEGRAM_ID = 7_000_000_123  # beyond 2**31, as real Telegram ids are now
GROUP_ID = -1_001_234_567_890
SOMEWHEN = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def postgres_target(request: pytest.FixtureRequest) -> str:
    try:
        server: PostgresServer = request.getfixturevalue("postgres")
    except PostgresUnavailable as missing:
        pytest.skip(str(missing))
    with server.connect() as connection:
        connection.execute("DROP DATABASE IF EXISTS copy_target WITH (FORCE)")
        connection.execute("CREATE DATABASE copy_target TEMPLATE template0")
    return server.url("copy_target")


async def _fill(url: str) -> None:
    db = Database(url)
    async with db.write() as session:
        cohort = Cohort(name="Jahrgang 2025")
        session.add(cohort)
        await session.flush()
        for offset in range(3):
            session.add(
                Member(
                    telegram_id=BIG_TELEGRAM_ID + offset,
                    display_name=f"Person {offset}",
                    cohort_id=cohort.id,
                    consent_at=SOMEWHEN,
                )
            )
        session.add(Chat(telegram_id=GROUP_ID, type="supergroup", is_alumni_group=True))
        session.add(
            OutboxMessage(
                purpose_key="test:copy",
                chat_id=GROUP_ID,
                method="send_message",
                payload={"text": "Hallo <b>alle</b>", "parse_mode": "HTML"},
            )
        )
        await session.commit()
    await db.close()


async def test_copy_db_moves_every_row_and_new_rows_get_fresh_ids(
    tmp_path: Path, database_path: Path, postgres_target: str
) -> None:
    source = f"sqlite+aiosqlite:///{database_path}"
    await _fill(source)
    code, out, err = await run_bot_cli(
        tmp_path, "copy-db", "--to", postgres_target, DATABASE_URL=source
    )
    assert code == 0, err
    assert "member: 3" in out and "outbox: 1" in out and "the row counts match" in out

    db = Database(postgres_target)
    try:
        async with db.write() as session:
            members = (await session.exec(select(Member).order_by(col(Member.id)))).all()
            assert [m.telegram_id for m in members] == [BIG_TELEGRAM_ID + n for n in range(3)]
            assert members[0].consent_at == SOMEWHEN
            outbox = (await session.exec(select(OutboxMessage))).one()
            assert outbox.payload["text"] == "Hallo <b>alle</b>" and outbox.chat_id == GROUP_ID
            newcomer = Member(telegram_id=BIG_TELEGRAM_ID + 10)
            session.add(newcomer)
            await session.commit()  # the id sequence was moved past the copied ids
        assert newcomer.id == members[-1].id + 1  # type: ignore[operator]
    finally:
        await db.close()

    code, _, err = await run_bot_cli(
        tmp_path, "copy-db", "--to", postgres_target, DATABASE_URL=source
    )
    assert code == 2 and "not empty" in err and "Traceback" not in err
