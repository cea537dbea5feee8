"""The domain: events, pitches, the schedule, presence, notes. Plain functions over a database session.

Nothing here knows of HTTP. Functions raise `errors.Invalid` (bad input) or `errors.Conflict` (the current
state does not allow it); the web layer turns those into 422 and 409.
"""
