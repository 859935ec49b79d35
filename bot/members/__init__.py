"""Members: onboarding and consent, the profile, their own rights (pause, language, export,
forget), coordinators' tools (roles, cohorts, invites, the overview) and the alumni group.

Deliberately empty: importing the package must not import its modules (no import circles).
"""
