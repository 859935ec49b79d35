"""A member's check-in: the next unanswered question, answers, the summary, visibility.

`flows` holds the use cases the Telegram adapter calls; `progress`, `answers` and `render` the
steps they are made of; `state` and `buttons` the two string formats the dialogue stores.
"""
