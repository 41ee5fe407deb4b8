"""Export a system's generator for TF Serving (SavedModel) and phones (TFLite).

The exporter knows only ``spec.ServingBundle``; every system plugs in through it, declaring
typed inputs (``ServingInput``) and outputs (``ServingOutput``) per endpoint.
"""

from stargan_tf.export.errors import ExportError
from stargan_tf.export.spec import (BINARY, CONTINUOUS, IMAGE, MASK, NORMAL, ONE_HOT, SCORES, Condition,
                                    ServingBundle, ServingEndpoint, ServingInput, ServingOutput)


def export_bundle(*args, **kwargs):
    """See ``stargan_tf.export.exporter.export_bundle`` (imported lazily: it needs TF)."""
    from stargan_tf.export.exporter import export_bundle as export

    return export(*args, **kwargs)


__all__ = ["BINARY", "CONTINUOUS", "IMAGE", "MASK", "NORMAL", "ONE_HOT", "SCORES", "Condition", "ExportError",
           "ServingBundle", "ServingEndpoint", "ServingInput", "ServingOutput", "export_bundle"]
