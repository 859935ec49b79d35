"""A local Telegram Bot API for the tests, the demo and the benchmarks; never part of a deploy.

Kept outside `bot/` so that running the bot never imports it (nor aiohttp, which only it needs).
"""
