"""Rounds: the question set, the schedule, opening, reminding, closing and the status report.

`jobs` and `control` hold the use cases (what the timed jobs and `/round` do); `lifecycle` the
steps inside their transactions; `schedule` the pure time arithmetic; `questions` the set.
"""
