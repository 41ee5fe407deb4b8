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
# track running statistics its code never reads (it never calls eval()). The default of
# ``check_and_assign`` (and ``importer.TorchNetwork``); a network with batch norms whose
# running statistics serve its test time maps them and drops only ``BATCH_COUNT``.
UNUSED_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")
BATCH_COUNT = ("num_batches_tracked",)  # BatchNorm's step counter (read only when momentum is None)
# Keras' batch-norm statistics: never left at their initial values by an import.
MOVING_STATISTICS = ("/moving_mean", "/moving_variance")
# The ``hints`` entry said when keys are missing or unexpected: the flags that change a
# network's structure (which layers exist), not just its sizes.
KEYS = "<keys>"


class CheckpointMismatchError(UserError, ValueError):
    """A PyTorch checkpoint that does not fit the network the flags build."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One Keras variable fed by one state-dict entry.

    Attributes:
        variable: the variable's path in the Keras network (``c7s1/kernel``).
        key: the state-dict key (``main.0.weight``).
        kind: how the axes move: ``"kernel"`` (4-D, convolution or transposed convolution),
            ``"dense"`` (2-D linear weight), ``"dense_1x1"`` (a 1x1 convolution's
            (out, in, 1, 1) weight into a linear kernel), ``"flatten_dense"`` (a linear layer
            after PyTorch's channel-first flatten, into one after Keras' channel-last
            flatten; ``dims`` = (channels,)), ``"spectral_v"`` (spectral norm's v over a
            kernel's (in, kh, kw) entries, into (kh, kw, in) order; ``dims`` = (in, kh, kw))
            or ``"vector"`` (any shape of the same size, flattened).
        dims: what ``kind`` needs to know.
    """

    variable: str
    key: str
    kind: str = "vector"
    dims: tuple = ()


def conv_entries(name, key, kind="kernel"):
    """The kernel and bias ``Entry`` of our layer ``name`` fed by the reference's ``key``
    (``<key>.weight``, ``<key>.bias``): a convolution, or a linear layer with ``kind="dense"``."""
    return [Entry(f"{name}/kernel", f"{key}.weight", kind), Entry(f"{name}/bias", f"{key}.bias")]


def to_keras(array, entry):
    kind = entry.kind
    if kind == "kernel":
        return np.transpose(array, KERNEL_4D)
    if kind == "dense":
        return np.transpose(array)
    if kind == "dense_1x1":
        return np.transpose(np.reshape(array, array.shape[:2]))
    if kind == "flatten_dense":
        (channels,) = entry.dims
        outputs = array.shape[0]
        return np.reshape(np.transpose(np.reshape(array, (outputs, channels, -1)), (2, 1, 0)), (-1, outputs))
    if kind == "spectral_v":
        return np.reshape(np.transpose(np.reshape(array, entry.dims), (1, 2, 0)), (-1,))
    return np.reshape(array, (-1,))


def to_torch(array, entry):
    """``to_keras``'s inverse (vectors come back flat, 1x1 kernels as (out, in))."""
    kind = entry.kind
    if kind == "kernel":
        return np.transpose(array, np.argsort(KERNEL_4D))
    if kind in ("dense", "dense_1x1"):
        return np.transpose(array)
    if kind == "flatten_dense":
        (channels,) = entry.dims
        outputs = array.shape[1]
        return np.reshape(np.transpose(np.reshape(array, (-1, channels, outputs)), (2, 1, 0)), (outputs, -1))
    if kind == "spectral_v":
        channels, height, width = entry.dims
        return np.reshape(np.transpose(np.reshape(array, (height, width, channels)), (2, 0, 1)), (-1,))
    return np.reshape(array, (-1,))


def check_and_assign(network, state, entries, source, hints=None, ignored=(), unused_suffixes=UNUSED_SUFFIXES):
    """Write ``state`` (``{key: numpy array}``) into ``network`` through ``entries``.

    Every entry's key must exist and its converted shape fit the variable; every key of
    ``state`` must be used (or end with one of ``unused_suffixes``, buffers our networks do
    not keep, or be in ``ignored``: state our layer computes instead of storing). Nothing is
    written unless all of that holds.

    Args:
        source: names the file in messages.
        hints: ``{key: text}`` said when that key's shape does not fit (which flag to change);
            ``hints[KEYS]`` when keys are missing or unexpected.
        unused_suffixes: endings of keys dropped unread (``UNUSED_SUFFIXES``: running
            statistics and step counters of norms that never use them). Whatever the
            suffixes, a batch norm's moving mean and variance in ``network`` must be fed by
            an entry: test time reads them.

    Raises:
        CheckpointMismatchError: listing the missing and unexpected keys, or the first
            shape that does not fit.
    """
    variables = {variable.path: variable for variable in network.weights}
    unknown = [e.variable for e in entries if e.variable not in variables]
    if unknown:  # a mapping bug, not the user's file
        raise AssertionError(f"{network.name}: no variables {unknown[:5]}")
    fed = {e.variable for e in entries}
    unfed = [path for path in variables if path.endswith(MOVING_STATISTICS) and path not in fed]
    if unfed:  # a mapping bug: eval-mode outputs would use the initial statistics
        raise AssertionError(f"{network.name}: no entries for the batch-norm statistics {unfed[:5]}")
    missing = [e.key for e in entries if e.key not in state]
    used = {e.key for e in entries}
    unexpected = [k for k in state if k not in used and k not in ignored and not k.endswith(tuple(unused_suffixes))]
    if missing or unexpected:
        raise CheckpointMismatchError(
            f"{source} does not hold the {network.name} the flags build: "
            + (f"missing {_few(missing)}" if missing else "")
            + ("; " if missing and unexpected else "")
            + (f"unexpected {_few(unexpected)}" if unexpected else "")
            + ". Is it a checkpoint of this system (and of this network)?"
            + (f" {hints[KEYS]}." if hints and KEYS in hints else ""))
    converted = {}
    for entry in entries:
        expected = tuple(variables[entry.variable].shape)
        given = np.asarray(state[entry.key], np.float32)
        try:
            array = to_keras(given, entry)
        except ValueError:  # a reshape that cannot fit
            array = None
        if entry.kind == "vector" and array is not None and array.size == int(np.prod(expected)):
            array = np.reshape(array, expected)
        if array is None or array.shape != expected:
            hint = (hints or {}).get(entry.key, "check the size flags against the ones the checkpoint was trained "
                                                  "with")
            raise CheckpointMismatchError(
                f"{source}: {entry.key} has shape {tuple(given.shape)}, but the {network.name} built from the "
                f"flags needs {_torch_shape(expected, entry)}: {hint}.")
        converted[entry.variable] = array
    for path, array in converted.items():
        variables[path].assign(array)
    return len(converted)


def export_state(network, entries):
    """The state dict ``entries`` read from ``network`` (PyTorch layout, vectors flat): the
    inverse of ``check_and_assign``, for the round-trip self-check."""
    variables = {variable.path: variable for variable in network.weights}
    return {entry.key: to_torch(variables[entry.variable].numpy(), entry) for entry in entries}


def round_trip_difference(network, state, entries):
    """The largest difference between ``state``'s arrays and ``network``'s weights written
    back in their layout (0 when the import is exact)."""
    back = export_state(network, entries)
    return max(float(np.max(np.abs(np.reshape(back[key], np.shape(state[key])) - np.asarray(state[key], np.float32))))
               for key in back)


def _torch_shape(expected, entry):
    """The PyTorch shape a variable of shape ``expected`` takes (vectors: their size)."""
    if entry.kind == "vector":
        return f"{int(np.prod(expected))} values"
    return str(tuple(to_torch(np.zeros(expected), entry).shape))


def _few(keys, shown=6):
    listed = ", ".join(keys[:shown])
    return listed + (f" and {len(keys) - shown} more" if len(keys) > shown else "")
