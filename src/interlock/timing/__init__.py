"""Time, pure: calendars, cron schedules and SLA windows.

What a decision needs to know about the clock, as functions of an injected ``now``: no I/O,
no clock reads. It sits above the model (partitions and durations are model values) and
below the rules and the config loader.
"""
