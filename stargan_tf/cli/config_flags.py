"""Command-line flags derived from the systems' configuration dataclasses.

Each field of a registered system's configuration (and of its data family's options) is one
absl flag of the same name. A name shared by several systems is one flag whose help lists
every system's default; its absl default is None, and the value a run gets is, in order: the
command line, the preset (the CPU preset on the built-in data), the system's default.
``--helpfull`` lists the flags under one heading per system.

No TensorFlow import: flag mistakes are reported before TF loads.
"""

import dataclasses

from absl import flags

from stargan_tf.cli.data_options import FAMILY_OPTIONS
from stargan_tf.models import config as config_lib
from stargan_tf.models.config import ConfigError

SHAPES_PRESET = "shapes"
AUTO = "auto"  # the CPU preset when the dataset is the built-in one

_DEFINERS = {int: flags.DEFINE_integer, float: flags.DEFINE_float, bool: flags.DEFINE_bool, str: flags.DEFINE_string,
             tuple: flags.DEFINE_list}


@dataclasses.dataclass(frozen=True)
class Resolved:
    """A system's settings for one run.

    Attributes:
        config: the system's configuration.
        data: its data family's options.
        preset: the names of the flags the preset set (not given on the command line).
    """

    config: object
    data: object
    preset: tuple


def system_fields(spec):
    """``{flag name: FieldInfo}`` of a system: its data family's options (with the system's
    ``data_defaults``) and its configuration."""
    result = {}
    for field in config_lib.fields(FAMILY_OPTIONS[spec.data]):
        result[field.name] = dataclasses.replace(field, default=spec.data_defaults.get(field.name, field.default))
    for field in config_lib.fields(spec.config):
        result[field.name] = field
    return result


def _group(spec):
    return f"{spec.name} (--model={spec.name})"


def _help(entries):
    """The help text (each system's where they differ), then each system's default (one
    value if all agree) and allowed values."""
    systems_by_help = {}
    for spec, field in entries:
        systems_by_help.setdefault(field.help, []).append(spec.name)
    if len(systems_by_help) == 1:
        text = entries[0][1].help
    else:
        text = " ".join(f"[{', '.join(names)}] {help}" for help, names in systems_by_help.items())
    defaults = {spec.name: field.default for spec, field in entries}
    shown = {name: ",".join(value) if isinstance(value, tuple) else value for name, value in defaults.items()}
    if len(set(map(repr, shown.values()))) == 1:
        default_text = f"default: {next(iter(shown.values()))}"
    else:
        default_text = "default: " + ", ".join(f"{name} {value}" for name, value in shown.items())
    choices = {spec.name: field.choices for spec, field in entries if field.choices}
    choice_text = ""
    if choices:
        if len(set(choices.values())) == 1:
            choice_text = f"; one of {'|'.join(map(str, next(iter(choices.values()))))}"
        else:
            choice_text = "; " + ", ".join(f"{name}: {'|'.join(map(str, c))}" for name, c in choices.items())
    return f"{text} ({default_text}{choice_text})"


def define_config_flags(specs, flag_values=flags.FLAGS):
    """Define one flag per configuration field name of ``specs``; return the names.

    Raises TypeError at import when two systems give one name different types.
    """
    by_name = {}
    for spec in specs:
        for name, field in system_fields(spec).items():
            by_name.setdefault(name, []).append((spec, field))
    for name, entries in by_name.items():
        kinds = {field.type for _, field in entries}
        if len(kinds) != 1:
            raise TypeError(f"flag --{name} has different types in {[spec.name for spec, _ in entries]}: {kinds}")
        define = _DEFINERS[kinds.pop()]
        define(name, None, _help(entries), flag_values=flag_values, module_name=_group(entries[0][0]))
        for spec, _ in entries[1:]:
            flag_values.register_flag_by_module(_group(spec), flag_values[name])
    return sorted(by_name)


def given_values(flag_values, names):
    """``{name: value}`` of the flags among ``names`` set on the command line (lists as tuples)."""
    values = {}
    for name in names:
        if flag_values[name].present:
            value = flag_values[name].value
            values[name] = tuple(value) if isinstance(value, list) else value
    return values


def _construct(cls, values):
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{name: value for name, value in values.items() if name in names})


def resolve(spec, given, preset=AUTO):
    """The configuration and data options of ``spec`` for flags ``given`` on the command line.

    Args:
        spec: a ``SystemSpec``.
        given: ``{flag name: value}`` of configuration flags set by the user.
        preset: a preset name of ``spec.presets``, None for none, or ``AUTO``: ``"shapes"``
            when the dataset is the built-in one. Given flags win over the preset.

    Raises:
        ConfigError: a given flag the system does not use (naming it and listing the
            system's flags), or a value or combination the configuration refuses.
    """
    fields = system_fields(spec)
    foreign = sorted(name for name in given if name not in fields)
    if foreign:
        raise ConfigError(
            f"--{foreign[0]} is not a flag of --model={spec.name}"
            + (f" (nor are {', '.join('--' + n for n in foreign[1:])})" if foreign[1:] else "")
            + f". The flags of --model={spec.name} are: {', '.join('--' + n for n in sorted(fields))}, plus the "
            "common flags (python main.py --helpfull lists them).")
    dataset = given.get("dataset", fields["dataset"].default)
    if preset == AUTO:
        preset = SHAPES_PRESET if dataset == "shapes" else None
    preset_values = dict(spec.presets[preset]) if preset else {}
    values = {**spec.data_defaults, **preset_values, **given}
    config = _construct(spec.config, values)
    data = _construct(FAMILY_OPTIONS[spec.data], values)
    data.check(config)
    return Resolved(config, data, tuple(name for name in preset_values if name not in given))


def run_architecture(spec, resolved):
    """What ``run_config.json`` records: the system and every flag that fixes its networks."""
    return {"model": spec.name, **config_lib.architecture(resolved.data), **config_lib.architecture(resolved.config)}

