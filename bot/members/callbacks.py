"""Callback data of the members' buttons: the one place each format is built and read.

The strings are a wire format: buttons stay in people's chats for months, so an old button
must decode to the same meaning. Each class has the regex its handler is registered with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.config import SUPPORTED_LANGUAGES
from bot.members.profile_state import Step


class ConsentAction(StrEnum):
    YES = "yes"
    NO = "no"
    OTHER_LANGUAGE = "lang"


@dataclass(frozen=True)
class ConsentButton:
    """`consent:<action>:<language>:<code>`: before consent nothing is stored, so the chosen
    language and the invite code travel in the button itself."""

    PATTERN: ClassVar[str] = r"^consent:"

    action: ConsentAction
    language: str
    code: str = ""

    def encode(self) -> str:
        return f"consent:{self.action}:{self.language}:{self.code}"

    @classmethod
    def decode(cls, text: str) -> ConsentButton | None:
        prefix, action, language, code = [*text.split(":", 3), "", "", ""][:4]
        if prefix != "consent":
            return None
        try:
            return cls(ConsentAction(action), language, code)
        except ValueError:
            return None


class ProfileAction(StrEnum):
    PICK = "pick"  # a cohort or region button; `arg` is the cohort id or the region token
    KEEP = "keep"
    SKIP = "skip"
    BACK = "back"
    EDIT = "edit"  # a field button under /profile
    JOB = "job"  # "I changed jobs" under /profile


@dataclass(frozen=True)
class ProfileButton:
    """`pf:<action>:<step>[:<arg>]`: the step names the question the button belongs to, so a
    button pressed on an old message cannot change a field the member is not at."""

    PATTERN: ClassVar[str] = r"^pf:"

    action: ProfileAction
    step: Step
    arg: str = ""

    def encode(self) -> str:
        tail = f":{self.arg}" if self.arg else ""
        return f"pf:{self.action}:{self.step}{tail}"

    @classmethod
    def decode(cls, text: str) -> ProfileButton | None:
        prefix, action, step, arg = [*text.split(":", 3), "", "", ""][:4]
        if prefix != "pf":
            return None
        try:
            return cls(ProfileAction(action), Step(step), arg)
        except ValueError:
            return None


@dataclass(frozen=True)
class LanguageButton:
    """`lang:<code>` under /language."""

    PATTERN: ClassVar[str] = r"^lang:"

    language: str

    def encode(self) -> str:
        return f"lang:{self.language}"

    @classmethod
    def decode(cls, text: str) -> LanguageButton | None:
        prefix, _, language = text.partition(":")
        if prefix != "lang" or language not in SUPPORTED_LANGUAGES:
            return None
        return cls(language)


@dataclass(frozen=True)
class ForgetButton:
    """`forget:yes` erases everything; any other `forget:` button cancels."""

    PATTERN: ClassVar[str] = r"^forget:"

    confirmed: bool

    def encode(self) -> str:
        return "forget:yes" if self.confirmed else "forget:no"

    @classmethod
    def decode(cls, text: str) -> ForgetButton | None:
        if not text.startswith("forget:"):
            return None
        return cls(confirmed=text == "forget:yes")


@dataclass(frozen=True)
class RevokeInviteButton:
    """`invite:revoke:<code>` under a new invite link."""

    PATTERN: ClassVar[str] = r"^invite:revoke:"

    code: str

    def encode(self) -> str:
        return f"invite:revoke:{self.code}"

    @classmethod
    def decode(cls, text: str) -> RevokeInviteButton | None:
        prefix, action, code = [*text.split(":", 2), "", ""][:3]
        if (prefix, action) != ("invite", "revoke"):
            return None
        return cls(code)
