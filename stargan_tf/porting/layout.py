"""From a PyTorch state dict to a Keras network's weights, and back: which entry feeds which
variable and how its axes move. Everything is checked before any variable is written, so a
checkpoint that does not fit leaves the network as it was and the message says why.

PyTorch keeps convolution kernels as (out, in, kh, kw) and transposed-convolution kernels as
(in, out, kh, kw); Keras as (kh, kw, in, out) and (kh, kw, out, in): both move with the same
axis order (2, 3, 1, 0). Linear weights are (out, in) there and (in, out) here. Vectors
(biases, norm scales) are the same.
"""

import dataclasses

import numpy as np

from stargan_tf.errors import UserError

KERNEL_4D = (2, 3, 1, 0)
# Buffers a reference network saves that our networks do not keep: StarGAN's instance norms
# track running statistics its code never reads (it never calls eval()).
UNUSED_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


class CheckpointMismatchError(UserError, ValueError):
    """A PyTorch checkpoint that does not fit the network the flags build."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One Keras variable fed by one state-dict entry.

    Attributes:
        variable: the variable's path in the Keras network (``c7s1/kernel``).
        key: the state-dict key (``main.0.weight``).
        kind: ``"kernel"`` (4-D, convolution or transposed convolution), ``"dense"``
            (2-D linear weight) or ``"vector"``.
    """

    variable: str
    key: str
    kind: str = "vector"


def to_keras(array, kind):
    if kind == "kernel":
        return np.transpose(array, KERNEL_4D)
    if kind == "dense":
        return np.transpose(array)
    return array


def to_torch(array, kind):
    if kind == "kernel":
        return np.transpose(array, np.argsort(KERNEL_4D))
    if kind == "dense":
        return np.transpose(array)
    return array


def check_and_assign(network, state, entries, source, hints=None):
    """Write ``state`` (``{key: numpy array}``) into ``network`` through ``entries``.

    Every entry's key must exist and its converted shape fit the variable; every key of
    ``state`` must be used (or be an unused buffer, ``UNUSED_SUFFIXES``). Nothing is written
    unless all of that holds.

    Args:
        source: names the file in messages.
        hints: ``{key: text}`` said when that key's shape does not fit (which flag to change).

    Raises:
        CheckpointMismatchError: listing the missing and unexpected keys, or the first
            shape that does not fit.
    """
    variables = {variable.path: variable for variable in network.weights}
    unknown = [e.variable for e in entries if e.variable not in variables]
    if unknown:  # a mapping bug, not the user's file
        raise AssertionError(f"{network.name}: no variables {unknown[:5]}")
    missing = [e.key for e in entries if e.key not in state]
    used = {e.key for e in entries}
    unexpected = [k for k in state if k not in used and not k.endswith(UNUSED_SUFFIXES)]
    if missing or unexpected:
        raise CheckpointMismatchError(
            f"{source} does not hold the {network.name} the flags build: "
            + (f"missing {_few(missing)}" if missing else "")
            + ("; " if missing and unexpected else "")
            + (f"unexpected {_few(unexpected)}" if unexpected else "")
            + ". Is it a checkpoint of this system (and of this network)?")
    converted = {}
    for entry in entries:
        array = to_keras(np.asarray(state[entry.key], np.float32), entry.kind)
        expected = tuple(variables[entry.variable].shape)
        if array.shape != expected:
            hint = (hints or {}).get(entry.key, "check the size flags against the ones the checkpoint was trained "
                                                  "with")
            raise CheckpointMismatchError(
                f"{source}: {entry.key} has shape {tuple(np.shape(state[entry.key]))}, but the {network.name} "
                f"built from the flags needs {tuple(to_torch(np.zeros(expected), entry.kind).shape)}: {hint}.")
        converted[entry.variable] = array
    for path, array in converted.items():
        variables[path].assign(array)
    return len(converted)


def export_state(network, entries):
    """The state dict ``entries`` read from ``network`` (PyTorch layout): the inverse of
    ``check_and_assign``, for the round-trip self-check."""
    variables = {variable.path: variable for variable in network.weights}
    return {entry.key: to_torch(variables[entry.variable].numpy(), entry.kind) for entry in entries}


def _few(keys, shown=6):
    listed = ", ".join(keys[:shown])
    return listed + (f" and {len(keys) - shown} more" if len(keys) > shown else "")
