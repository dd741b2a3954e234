"""The matching engine: pure scoring (rooms, mentors, reasons in words) and the cohort
match (deferred acceptance with capacities, an independent stability checker). No I/O:
the matching service wraps it."""
