"""Broadcasts: a coordinator's message to the active members of a cohort and/or region, now or
at a set time, previewed first, delivered through the outbox, reported once when done."""
