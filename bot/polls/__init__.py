"""Polls: coordinators ask, alumni vote in native Telegram polls, the bot keeps every vote.

rules (Telegram's limits, pure) -> syntax (the one-line command, pure) -> create, votes,
closing, reminders, results, listing, draft (use cases that own their transactions).
"""
