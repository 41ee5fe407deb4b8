"""The one error type the input pipelines raise for problems in the user's data."""


class DataError(ValueError):
    """A dataset on disk (or a data flag) is unusable; the message says which file or flag and what to do."""
