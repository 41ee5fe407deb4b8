"""Configuration dataclasses: one frozen dataclass per system, whose field names are the
command-line flag names (official names where the reference code has one).

A field is declared with ``option(default, help, architecture=...)``. A subclass may
re-declare a field with a plain default (``image_size: int = 256``) to change only the
default: help text and the architecture mark are looked up along the class hierarchy.
Configurations validate themselves in ``__post_init__`` and raise ``ConfigError``, so a bad
flag value is reported where the configuration is built, not deep inside Keras.

This module imports no TensorFlow: flags are defined and checked before TF loads.
"""

import dataclasses
import typing

from stargan_tf.errors import UserError
from stargan_tf.training.schedules import linear_decay


class ConfigError(UserError, ValueError):
    """A flag value or combination that the system cannot use (``main.py`` exits 2)."""


def option(default, help, architecture=False, choices=None, minimum=None):
    """A configuration field.

    Args:
        default: the official default.
        help: one line for ``--helpfull``.
        architecture: the value fixes the networks' shapes (recorded in the run's
            ``run_config.json``; a resumed run must use the same value).
        choices: allowed values of a string field.
        minimum: smallest allowed value of a number field (checked by ``check_ranges``).
    """
    metadata = {"help": help, "architecture": architecture, "choices": choices, "minimum": minimum}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for sequence defaults (configs are frozen)")
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """What the command line needs to know about one configuration field."""

    name: str
    type: object
    default: object
    help: str
    architecture: bool
    choices: tuple
    minimum: object


def _declared_metadata(cls, name):
    """The metadata of ``name`` where it was declared with ``option`` (walking the MRO)."""
    for klass in cls.__mro__:
        for field in getattr(klass, "__dataclass_fields__", {}).values():
            if field.name == name and field.metadata.get("help"):
                return field.metadata
    raise TypeError(f"{cls.__name__}.{name} has no help text: declare it with option(...)")


def fields(cls):
    """``[FieldInfo]`` of a configuration dataclass (class or instance), in declaration order."""
    cls = cls if isinstance(cls, type) else type(cls)
    hints = typing.get_type_hints(cls)
    result = []
    for field in dataclasses.fields(cls):
        metadata = _declared_metadata(cls, field.name)
        result.append(FieldInfo(field.name, hints[field.name], field.default, metadata["help"],
                                bool(metadata["architecture"]), tuple(metadata["choices"] or ()),
                                metadata["minimum"]))
    return result


def architecture(config):
    """``{name: value}`` of the fields that fix the networks' shapes (JSON-ready)."""
    return {f.name: _jsonable(getattr(config, f.name)) for f in fields(config) if f.architecture}


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def require_multiple(flag, value, factor, why):
    """Raise ``ConfigError`` unless ``value`` (of ``--flag``) is a multiple of ``factor``."""
    if value % factor:
        raise ConfigError(f"--{flag}={value} must be a multiple of {factor}: {why}")


def check_ranges(config):
    """Raise ``ConfigError`` for a value outside its field's ``choices`` or below ``minimum``."""
    for field in fields(config):
        value = getattr(config, field.name)
        if field.choices and value not in field.choices:
            raise ConfigError(f"--{field.name}={value} is not one of {', '.join(map(str, field.choices))}.")
        if field.minimum is not None and value is not None and value < field.minimum:
            raise ConfigError(f"--{field.name}={value} must be at least {field.minimum}.")


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """The fields every system's configuration has: image size, global batch, length of the
    run, seed, and how often the loop logs, samples and checkpoints (official names from
    yunjey/stargan). Subclasses change the defaults to their paper's."""

    image_size: int = option(128, "Training image size (height = width).", architecture=True, minimum=1)
    batch_size: int = option(16, "Global batch size, split across replicas.", minimum=1)
    num_iters: int = option(200_000, "Training iterations.", minimum=1)
    seed: int = option(0, "Seed of the initial weights, data order, augmentation and the random draws "
                          "of the train steps.")
    log_step: int = option(10, "TensorBoard scalars every this many iterations.", minimum=1)
    sample_step: int = option(1000, "Sample grid every this many iterations.", minimum=1)
    model_save_step: int = option(10_000, "Checkpoint every this many iterations.", minimum=1)

    def __post_init__(self):
        check_ranges(self)


@dataclasses.dataclass(frozen=True)
class AdamConfig(TrainingConfig):
    """Fields of a system whose networks all train with one Adam setting; the defaults are
    DCGAN's (Radford et al. 2016, Sec. 4), which CycleGAN, U-GAT-IT, SaGAN and Contextual GAN
    keep."""

    lr: float = option(2e-4, "Learning rate of the generators and discriminators (Adam).", minimum=0.0)
    beta1: float = option(0.5, "Adam beta1.")
    beta2: float = option(0.999, "Adam beta2.")


@dataclasses.dataclass(frozen=True)
class DecayingAdamConfig(AdamConfig):
    """``AdamConfig`` whose rate is constant, as the paper's, unless ``num_iters_decay``
    asks for a linear decay to 0 at the end of the run (SaGAN, Contextual GAN)."""

    num_iters_decay: int = option(0, "Iterations at the end of the run over which the lr falls linearly to 0 "
                                     "(0: constant, as the paper).", minimum=0)

    def learning_rate(self, iteration):
        """The rate at ``iteration``."""
        return linear_decay(self.lr, iteration, self.num_iters - self.num_iters_decay, self.num_iters)


@dataclasses.dataclass(frozen=True)
class TwoDomainConfig(AdamConfig):
    """Fields every unpaired two-domain system has, with the official CycleGAN/U-GAT-IT
    defaults (256 px, batch 1)."""

    image_size: int = 256
    batch_size: int = 1
    log_step: int = 100
    direction: str = option("both", "Test mode: translate your images A->B, B->A or both.",
                            choices=("a2b", "b2a", "both"))

    # Images per domain in one training example (a class constant, not a flag): DRIT's
    # examples are pairs. The data family batches batch_size / images_per_example examples.
    images_per_example = 1
