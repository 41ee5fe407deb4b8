"""Evaluation errors a user can fix (a flag, a folder, a missing classifier)."""

from stargan_tf.errors import UserError


class EvaluationError(UserError, ValueError):
    """What cannot be evaluated as asked, and what to give instead."""
