"""Errors the program services raise for callers to show to the user."""


class ProgramError(ValueError):
    """Invalid input to a program service; the message names the field and value."""


class NotFoundError(LookupError):
    """A row the caller named does not exist in this portal."""
