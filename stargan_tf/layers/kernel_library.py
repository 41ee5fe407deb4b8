"""Which CPU convolution kernels this TensorFlow runs: the fast formulations in ``layers/``
(``NarrowOutputConv2D``, ``SwappedKernelGradientConv2D``) are chosen by it."""

import functools


@functools.cache
def tensorflow_runs_onednn():
    """Whether this TensorFlow runs oneDNN's CPU kernels: its default only on CPUs with
    AVX-512 VNNI, BF16 or AMX, ``TF_ENABLE_ONEDNN_OPTS`` overriding it. Elsewhere (AVX2-only
    CPUs such as AMD Zen 2 and 3) its own Eigen kernels run. None where the build does not say
    (no public API tells it)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def runs_eigen():
    """Whether TensorFlow is known to run its Eigen kernels (not oneDNN's) here."""
    return tensorflow_runs_onednn() is False
