"""``SystemSpec``: what one system declares about itself, once, in its own package.

The command line, the tests and the benchmarks read these declarations (``registry.py``
lists them); nothing shared names a particular system. No TensorFlow import here: ``build``
imports the system lazily, so flags can be defined and checked before TF loads.
"""

import dataclasses
import importlib
from typing import Any, Callable, Mapping, Sequence


@dataclasses.dataclass(frozen=True)
class ParameterCount:
    """Official parameter counts of a system's networks (SPEC.md) under some flag values.

    Attributes:
        flags: flag values on top of the system's defaults (configuration and data flags).
        networks: ``{network name: parameter count}`` (trainable weights).
    """

    flags: Mapping[str, Any]
    networks: Mapping[str, int]


def built_from_config(module, class_name):
    """A ``build`` for a system whose constructor takes only its configuration; the module
    (and TensorFlow) is imported when the first system is built."""
    def build(config, data):
        return getattr(importlib.import_module(module), class_name)(config)
    return build


@dataclasses.dataclass(frozen=True)
class SystemSpec:
    """One system as the command line sees it.

    Attributes:
        name: the ``--model`` value.
        config: its frozen configuration dataclass (``models.config``): field names are the
            flag names, defaults the official ones.
        data: the data family it reads (a key of ``cli.data.DATA_FAMILIES``: "labeled",
            "unpaired", ...).
        build: ``(config, data) -> GANSystem``, called inside the strategy scope; ``data``
            is what the family loaded (label spaces, ...). Raises ``ConfigError`` for flag
            values that only the data can refute.
        presets: flag values by preset name: ``"shapes"`` (the CPU run on the built-in data,
            applied to every flag the user did not set) and ``"tiny"`` (tests, benchmarks).
        data_defaults: this system's defaults of data-family flags, where they differ.
        parameter_counts: the official figures the tests hold the networks to.
        description: one line for ``--helpfull``.
    """

    name: str
    config: type
    data: str
    build: Callable
    presets: Mapping[str, Mapping[str, Any]]
    data_defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    parameter_counts: Sequence[ParameterCount] = ()
    description: str = ""
