"""State checkers: the I/O edge that looks at the world and answers with observations.

See :mod:`interlock.checkers.base` for the contract every checker kind implements.
"""
