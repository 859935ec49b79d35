"""The guided profile: after consent, and whenever a member changes a field with /profile.

Where the member stands is `Member.awaiting` (`bot.members.profile_state`). Every answer or
button is committed before the member sees what comes next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.members.callbacks import ProfileAction, ProfileButton
from bot.members.notice import Notice
from bot.members.profile import (
    MAX_LENGTH,
    Problem,
    check,
    clean,
    match_cohort,
    region_for_token,
    region_token,
    render,
    set_value,
    value_of,
)
from bot.members.profile_state import PLANS, Mode, Position, Step, first
from bot.numbers import parse_number
from bot.services import Services
from bot.ui import Button, Keyboard, Reply
from storage import members as member_store
from storage.tables import Member


@dataclass
class ProfileStep:
    """What the member sees after a change, in order.

    `onboarding_finished`: the member just completed the profile after consent. The check-in
    may ask them only after these replies were sent (its prompt goes through the outbox and
    must not overtake the welcome).
    """

    replies: list[Reply] = field(default_factory=list)
    onboarding_finished: bool = False


# ------------------------------------------------------------------------------ moving on


async def _arrive(
    session: AsyncSession, member: Member, position: Position | None, *, forward: bool
) -> None:
    """Stand at `position` (None: the end); onboarding passes over a cohort that an invite
    chose already or that cannot be chosen because no cohort is configured yet."""
    while (
        position is not None
        and position.step is Step.COHORT
        and position.mode is Mode.ONBOARDING
        and (
            (forward and member.cohort_id is not None)
            or not await member_store.list_cohorts(session)
        )
    ):
        position = position.next() if forward else position.previous()
    member.awaiting = position.encode() if position else None


async def start_onboarding(session: AsyncSession, member: Member) -> None:
    """A member who just consented stands at the first question of the guided profile."""
    await _arrive(session, member, first(Mode.ONBOARDING), forward=True)


async def _take_text(
    session: AsyncSession, member: Member, position: Position, text: str | None
) -> Notice | None:
    """Store a typed answer and move on; or say what is wrong with it (nothing is lost)."""
    if text is None:
        return Notice("profile.problem.not_text")
    if position.step is Step.COHORT:
        cohort = match_cohort(text, await member_store.list_cohorts(session))
        if cohort is None:
            return Notice("profile.problem.unknown_cohort", {"typed": clean(text)[:64]})
        member.cohort_id = cohort.id
    else:
        checked = check(position.step, text)
        if checked.problem is Problem.EMPTY:
            return Notice("profile.problem.empty")
        if checked.problem is Problem.TOO_LONG:
            # Kept in the database and shown back, so the member can shorten it.
            member.draft = checked.value
            params = {
                "limit": MAX_LENGTH[position.step],
                "length": len(checked.value),
                "draft": checked.value[:3000],
            }
            return Notice("profile.problem.too_long", params)
        set_value(member, position.step, checked.value)
    member.draft = None
    await _arrive(session, member, position.next(), forward=True)
    return None


async def _take_button(
    session: AsyncSession, member: Member, position: Position, button: ProfileButton
) -> Notice | None:
    action, arg = button.action, button.arg
    cohort_id = parse_number(arg)
    if action is ProfileAction.KEEP:
        await _arrive(session, member, position.next(), forward=True)
    elif action is ProfileAction.SKIP and position.skippable:
        set_value(member, position.step, None)
        await _arrive(session, member, position.next(), forward=True)
    elif action is ProfileAction.BACK:
        await _arrive(session, member, position.previous(), forward=False)
    elif action is ProfileAction.PICK and position.step is Step.COHORT and cohort_id is not None:
        cohort = await member_store.get_cohort(session, cohort_id=cohort_id)
        if cohort is None:
            return Notice("profile.problem.cohort_gone")
        member.cohort_id = cohort.id
        await _arrive(session, member, position.next(), forward=True)
    elif action is ProfileAction.PICK and position.step is Step.REGION:
        region = region_for_token(arg, await member_store.known_regions(session))
        if region is None:
            return Notice("profile.problem.region_gone")
        member.region = region
        await _arrive(session, member, position.next(), forward=True)
    else:
        return Notice("profile.problem.stale")
    member.draft = None
    return None


def _position_for(member: Member, button: ProfileButton) -> Position | None:
    """Where the button puts the member: /profile buttons start something new; any other
    button must belong to the question the member is at now."""
    if button.action is ProfileAction.EDIT:
        return Position(button.step, Mode.EDIT)
    if button.action is ProfileAction.JOB:
        return first(Mode.JOB)
    position = Position.decode(member.awaiting)
    return position if position is not None and position.step is button.step else None


# ------------------------------------------------------------------------------ what is shown


def _text(services: Services, member: Member, key: str, **params: object) -> str:
    return str(services.translate(member.language, key, **params))


def _button(services: Services, member: Member, key: str, data: ProfileButton) -> Button:
    return Button(_text(services, member, key), data=data.encode())


async def _keyboard(
    session: AsyncSession, services: Services, member: Member, position: Position
) -> Keyboard:
    """Buttons for one step: the choices first, then back/keep/skip."""
    rows: Keyboard = []
    step = position.step
    if step is Step.COHORT:
        for cohort in await member_store.list_cohorts(session):
            data = ProfileButton(ProfileAction.PICK, step, str(cohort.id))
            rows.append([Button(cohort.name, data=data.encode())])
    if step is Step.REGION:
        for region in await member_store.known_regions(session):
            data = ProfileButton(ProfileAction.PICK, step, region_token(region))
            rows.append([Button(region, data=data.encode())])
    keep, skip = ProfileButton(ProfileAction.KEEP, step), ProfileButton(ProfileAction.SKIP, step)
    controls: list[Button] = []
    if position.mode is Mode.EDIT:
        controls.append(_button(services, member, "profile.button.keep", keep))
        if position.skippable:
            controls.append(_button(services, member, "profile.button.clear", skip))
    else:
        if position.previous() is not None:
            back = ProfileButton(ProfileAction.BACK, step)
            controls.append(_button(services, member, "profile.button.back", back))
        if step is Step.NAME and member.display_name:
            controls.append(_button(services, member, "profile.button.take", keep))
        if position.skippable:
            controls.append(_button(services, member, "profile.button.skip", skip))
    rows.append(controls)
    return rows


async def _current_value(session: AsyncSession, member: Member, step: Step) -> str | None:
    if step is Step.COHORT:
        if member.cohort_id is None:
            return None
        cohort = await member_store.get_cohort(session, cohort_id=member.cohort_id)
        return cohort.name if cohort else None
    return value_of(member, step)


async def question(
    session: AsyncSession, services: Services, member: Member, *, problem: Notice | None = None
) -> Reply | None:
    """The question of the step the member is at (after what went wrong, if so); None when
    they are not in the profile dialogue."""
    position = Position.decode(member.awaiting)
    if position is None:
        return None
    current = await _current_value(session, member, position.step)
    keyboard = await _keyboard(session, services, member, position)
    lines = []
    if problem is not None:
        lines.append(_text(services, member, problem.key, **problem.params))
    plan = PLANS.get(position.mode)
    if plan is not None and problem is None:
        n, total = plan.index(position.step) + 1, len(plan)
        lines.append(_text(services, member, "profile.progress", n=n, total=total))
    lines.append(_text(services, member, f"profile.ask.{position.step}"))
    if current:
        lines.append(_text(services, member, "profile.current", value=current))
    return Reply("\n".join(lines), keyboard)


async def card(
    session: AsyncSession, services: Services, member: Member, *, heading: str | None = None
) -> Reply:
    """The member's profile with a button for every field."""
    cohort = (
        await member_store.get_cohort(session, cohort_id=member.cohort_id)
        if member.cohort_id is not None
        else None
    )
    summary = str(render(member, cohort, services.translate, member.language))
    text = f"{_text(services, member, heading)}\n\n{summary}" if heading else summary

    def edit(step: Step) -> Button:
        key = f"profile.field.{step}"
        return _button(services, member, key, ProfileButton(ProfileAction.EDIT, step))

    job = ProfileButton(ProfileAction.JOB, Step.ORGANISATION)
    keyboard = [
        [edit(Step.NAME), edit(Step.COHORT)],
        [edit(Step.REGION), edit(Step.ORGANISATION)],
        [edit(Step.ROLE), _button(services, member, "profile.button.job", job)],
    ]
    return Reply(text, keyboard)


async def asked(session: AsyncSession, services: Services, member: Member) -> ProfileStep:
    """The question the member is at, if any (a returning member, or consent pressed twice)."""
    found = await question(session, services, member)
    return ProfileStep([found] if found is not None else [])


async def after_change(
    session: AsyncSession, services: Services, member: Member, finished: Mode
) -> ProfileStep:
    """After a change: the next question, or the finished profile."""
    if member.awaiting is not None:
        return await asked(session, services, member)
    if finished is Mode.ONBOARDING:
        done = await card(session, services, member, heading="profile.done")
        return ProfileStep([done], onboarding_finished=True)
    return ProfileStep([await card(session, services, member, heading="profile.saved")])


async def _after_problem(
    session: AsyncSession, services: Services, member: Member, problem: Notice | None
) -> ProfileStep:
    if member.awaiting is not None:
        found = await question(session, services, member, problem=problem)
        return ProfileStep([found] if found is not None else [])
    if problem is not None:
        return ProfileStep([Reply(_text(services, member, problem.key, **problem.params))])
    return ProfileStep()


# ------------------------------------------------------------------------------ use cases


async def show_profile(services: Services, *, telegram_id: int) -> Reply | None:
    """/profile: the member's profile with its buttons; None when they have not consented."""
    async with services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None or member.consent_at is None:
            return None
        return await card(session, services, member)


async def answer(services: Services, *, telegram_id: int, text: str | None) -> ProfileStep:
    """The member's message answers the profile question they are at (nothing to show when
    they are not in the profile dialogue)."""
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        position = Position.decode(member.awaiting if member else None)
        if member is None or position is None:
            return ProfileStep()
        problem = await _take_text(session, member, position, text)
        await member_store.save_member(session, member=member)
        await session.commit()
        if problem is not None:
            found = await question(session, services, member, problem=problem)
            return ProfileStep([found] if found is not None else [])
        return await after_change(session, services, member, position.mode)


async def press(
    services: Services, *, telegram_id: int, button: ProfileButton
) -> ProfileStep | None:
    """A profile button: choose, keep, skip, go back, or start changing a field (edit, job).
    None when the person is not a member."""
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None:
            return None
        position = _position_for(member, button)
        problem: Notice | None = None
        if position is None:
            problem = Notice("profile.problem.stale")
        elif button.action in {ProfileAction.EDIT, ProfileAction.JOB}:
            member.awaiting = position.encode()
        else:
            problem = await _take_button(session, member, position, button)
        await member_store.save_member(session, member=member)
        await session.commit()
        if problem is not None or position is None:
            return await _after_problem(session, services, member, problem)
        if button.action in {ProfileAction.EDIT, ProfileAction.JOB}:
            return await asked(session, services, member)
        return await after_change(session, services, member, position.mode)
