"""What a system hands the exporter: typed declarations of its serving functions.

The exporter (``stargan_tf.export``) knows nothing of any particular system: each system
declares its translation directions as ``ServingEndpoint`` objects, each with typed inputs
(``ServingInput``: images and vectors) and named outputs (``ServingOutput``: images, masks
and scores), and the exporter turns them into TF Serving signatures and TFLite files. The kinds
say how values are checked in the serving graph, encoded in the ``*_bytes`` signatures and
drawn when the exporter verifies its files. No TensorFlow here: systems import this module.
"""

import dataclasses
from typing import Callable, Mapping, Sequence

# Image kinds. Inputs: IMAGE only. Outputs: IMAGE, MASK or SCORES.
IMAGE = "image"  # float32 [batch, H, W, 3] in [-1, 1] (the bundle's image_size)
MASK = "mask"    # float32 [batch, H, W, 1] in [0, 1] (attention maps, inpainting masks)
SCORES = "scores"  # float32 [batch, n] in [0, 1], one per named entry (a classifier's estimate)

# Vector kinds: how the values of a vector input are meant to be chosen.
BINARY = "binary"          # each entry minimum or maximum (multi-label attributes, e.g. CelebA)
ONE_HOT = "one_hot"        # exactly one entry at maximum (single-label classes, e.g. RaFD)
CONTINUOUS = "continuous"  # any value in [minimum, maximum] (interpolated attributes)
NORMAL = "normal"          # any finite value, drawn from N(0, 1) (latent / attribute codes)

VECTOR_KINDS = (BINARY, ONE_HOT, CONTINUOUS, NORMAL)
INPUT_KINDS = (IMAGE,) + VECTOR_KINDS
OUTPUT_KINDS = (IMAGE, MASK, SCORES)
# Kinds whose per-example shape may have more than one axis (e.g. N candidate codes (N, z)):
# BINARY and ONE_HOT are label rows, with entry names.
MULTI_AXIS_KINDS = (CONTINUOUS, NORMAL)
# Kinds whose values are range-checked against minimum / maximum.
BOUNDED_KINDS = (BINARY, ONE_HOT, CONTINUOUS)
# The endpoint that estimates an image's labels: one SCORES output named as a label input's
# entries. Clients (``Translator``) fill the entries a target leaves out from it.
ATTRIBUTES = "attributes"


@dataclasses.dataclass(frozen=True)
class ServingInput:
    """One input of a serving function (a signature input of the same name).

    Attributes:
        name: the signature input name, saying what it is (``image``, ``reference``,
            ``target``, ``attribute``).
        kind: ``IMAGE`` or one of ``VECTOR_KINDS``.
        shape: per-example shape: ``()`` for IMAGE (the bundle's (H, W, 3)); ``(size,)``
            for vectors; several axes (e.g. ``(N, z)``) for CONTINUOUS and NORMAL.
        minimum, maximum: the allowed value range of BINARY, ONE_HOT and CONTINUOUS inputs,
            checked inside the serving graph (IMAGE and NORMAL keep the defaults).
        names: optional names of the entries of a 1-D vector (attributes, class names).
        description: one line for the README / metadata.
    """

    name: str
    kind: str = IMAGE
    shape: tuple = ()
    minimum: float = 0.0
    maximum: float = 1.0
    names: Sequence[str] = ()
    description: str = ""

    @property
    def size(self):
        """Length of the last axis of a vector input."""
        return int(self.shape[-1])


def Condition(name, size, kind=BINARY, minimum=0.0, maximum=1.0, names=(), description=""):  # noqa: N802
    """A 1-D vector input ``[batch, size]`` (the conditioning label of StarGAN-like systems)."""
    return ServingInput(name, kind, (int(size),), minimum, maximum, tuple(names), description)


@dataclasses.dataclass(frozen=True)
class ServingOutput:
    """One output of a serving function.

    Attributes:
        name: the signature output name (``translated``, ``mask``, ``heatmap``); the
            ``*_bytes`` signatures name it ``<name>_bytes``.
        kind: ``IMAGE`` (float32 [batch, H, W, 3] in [-1, 1], RGB PNG in ``*_bytes``),
            ``MASK`` (float32 [batch, H, W, 1] in [0, 1], 8-bit grayscale PNG of
            round(mask * 255) in ``*_bytes``) or ``SCORES`` (float32 [batch, len(names)] in
            [0, 1], e.g. sigmoid or softmax of classification logits; the same floats, under
            the same name, in ``*_bytes``).
        names: the entry names of a SCORES output (required there, empty for the image kinds).
        description: one line for the README / metadata.
    """

    name: str
    kind: str = IMAGE
    description: str = ""
    names: Sequence[str] = ()


@dataclasses.dataclass(frozen=True)
class ServingEndpoint:
    """One serving function of a generator (a translation direction, a sampler, ...), or of a
    classifier that estimates an image's labels (SCORES outputs; StarGAN's ``attributes``).

    Attributes:
        name: signature name (``translate`` for single-direction systems, ``a2b``/``b2a``
            for two-domain ones). The first endpoint of a bundle becomes ``serving_default``.
        translate: called with one keyword argument per input, named as in ``inputs``
            (images float32 NHWC in [-1, 1] at the bundle's image_size, vectors float32
            ``[batch, *shape]``); returns a tensor when there is exactly one output, else
            ``{output name: tensor}``. Must be traceable by ``tf.function`` with a dynamic
            batch dimension.
        inputs: at least one IMAGE input; the first IMAGE input sets the batch size.
        outputs: at least one output.
        tflite: True, or False / a reason string: SavedModel only (the reason goes into
            the export report), e.g. for an op the TFLite builtins lack.
        tolerances: overrides of ``verify.DEFAULT_TOLERANCES`` for this endpoint (after the
            exporter's own ``tolerances`` argument).
        description: one line for the README / metadata.
        verified_as: None, or an endpoint of the same inputs and outputs that runs the same
            ops fewer times (an iterative search cut to a few steps). Its TFLite files are
            converted beside this endpoint's (not shipped) and verified against its eager
            call at its own bounds, which then stand for this endpoint's: a long search
            carries each step's rounding into the next, so on some inputs TensorFlow and
            TFLite end in different minima, while a wrong op or layout already shows after a
            few steps. Give this endpoint report-only bounds (None) for what the search
            amplifies.
    """

    name: str
    translate: Callable
    inputs: Sequence[ServingInput] = (ServingInput("image"),)
    outputs: Sequence[ServingOutput] = (ServingOutput("translated"),)
    tflite: bool | str = True
    tolerances: Mapping[str, float] = dataclasses.field(default_factory=dict)
    description: str = ""
    verified_as: "ServingEndpoint | None" = None

    @property
    def image_inputs(self):
        return [i for i in self.inputs if i.kind == IMAGE]

    @property
    def vector_inputs(self):
        return [i for i in self.inputs if i.kind != IMAGE]

    @property
    def tflite_skipped(self):
        """None when the endpoint gets TFLite files, else why not."""
        if self.tflite is True:
            return None
        return self.tflite or "disabled by the endpoint (no reason given)"


@dataclasses.dataclass(frozen=True)
class ServingBundle:
    """Everything the exporter needs from a trained system.

    Attributes:
        model_name: the TF Serving model name (``stargan``, ``ugatit``, ...).
        image_size: (height, width) the generator is exported at.
        load_size: (height, width) images are resized to before their centred ``image_size``
            window is cut (``preprocess.centre_offsets``), where the system frames test images
            as its training crops (DRIT); None: resized straight to ``image_size``.
        endpoints: the serving functions; the first is ``serving_default``.
        trackables: the Keras models whose variables the SavedModel must hold.
        metadata: JSON-serialisable facts a client can read back (domain names, flags).
    """

    model_name: str
    image_size: tuple
    endpoints: Sequence[ServingEndpoint]
    trackables: Mapping[str, object]
    metadata: Mapping[str, object] = dataclasses.field(default_factory=dict)
    load_size: tuple | None = None
