"""The one error type the input pipelines raise for problems in the user's data."""

from stargan_tf.errors import UserError


class DataError(UserError, ValueError):
    """A dataset on disk (or a data flag) is unusable; the message says which file or flag and what to do."""
