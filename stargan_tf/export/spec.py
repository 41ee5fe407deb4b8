"""What a system hands the exporter: its generator's serving functions, nothing more.

The exporter (``stargan_tf.export``) knows nothing of any particular system: each system
describes its translation directions as ``ServingEndpoint`` objects and the exporter turns
them into TF Serving signatures and TFLite files.
"""

import dataclasses
from typing import Callable, Mapping, Sequence

# How the values of a condition vector are meant to be chosen; the exporter uses it to
# validate inputs and to draw example inputs when it verifies exported files.
BINARY = "binary"          # each entry 0 or 1 (multi-label attributes, e.g. CelebA)
ONE_HOT = "one_hot"        # exactly one entry is 1 (single-label classes, e.g. RaFD)
CONTINUOUS = "continuous"  # any value in [minimum, maximum] (noise, style codes)


@dataclasses.dataclass(frozen=True)
class Condition:
    """One conditioning input of a generator besides the image (a serving signature input).

    Attributes:
        name: the signature input name, saying what it is (``target``, ``style``, ...).
        size: length of the per-example vector; the input is float32 ``[batch, size]``.
        kind: ``BINARY``, ``ONE_HOT`` or ``CONTINUOUS``.
        minimum, maximum: the allowed value range, checked inside the serving graph.
        names: optional names of the entries (selected attributes, class names).
        description: one line for the README / metadata.
    """

    name: str
    size: int
    kind: str = BINARY
    minimum: float = 0.0
    maximum: float = 1.0
    names: Sequence[str] = ()
    description: str = ""


@dataclasses.dataclass(frozen=True)
class ServingEndpoint:
    """One translation direction of a generator.

    Attributes:
        name: signature name (``translate`` for single-direction systems, ``a2b``/``b2a``
            for two-domain ones). The first endpoint of a bundle becomes ``serving_default``.
        translate: ``translate(image, **conditions) -> translated``; ``image`` is float32
            NHWC in [-1, 1] at ``image_size``, each condition a float32 ``[batch, size]``
            tensor named as in ``conditions``; returns float32 NHWC in [-1, 1]. Must be
            traceable by ``tf.function`` with a dynamic batch dimension.
        conditions: the conditioning inputs, in order.
        description: one line for the README / metadata.
    """

    name: str
    translate: Callable
    conditions: Sequence[Condition] = ()
    description: str = ""


@dataclasses.dataclass(frozen=True)
class ServingBundle:
    """Everything the exporter needs from a trained system.

    Attributes:
        model_name: the TF Serving model name (``stargan``, ``ugatit``, ...).
        image_size: (height, width) the generator is exported at.
        endpoints: the translation directions; the first is ``serving_default``.
        trackables: the Keras models whose variables the SavedModel must hold.
        metadata: JSON-serialisable facts a client can read back (domain names, flags).
    """

    model_name: str
    image_size: tuple
    endpoints: Sequence[ServingEndpoint]
    trackables: Mapping[str, object]
    metadata: Mapping[str, object] = dataclasses.field(default_factory=dict)
