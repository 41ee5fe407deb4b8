"""The base of every error a user can fix (a flag, their data, a run directory): ``main.py``
prints its message, without a traceback, and exits with code 2. No TensorFlow import."""


class UserError(Exception):
    """A problem in what the user gave; the message names the flag or file and what to do."""
