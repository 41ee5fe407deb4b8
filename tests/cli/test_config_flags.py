"""Flags derived from the systems' configurations: one flag per field, per-system help
groups, precedence command line > preset > default, and refusal of another system's flags.
No TensorFlow needed."""

import dataclasses

import pytest
from absl import flags

from stargan_tf.cli import config_flags
from stargan_tf.cli.config_flags import resolve, run_architecture, system_fields
from stargan_tf.cli.flags import CONFIG_FLAGS, FLAGS
from stargan_tf.models.config import ConfigError
from stargan_tf.models.registry import REGISTRY


def test_every_field_of_every_system_is_a_flag_grouped_under_that_system():
    by_module = FLAGS.flags_by_module_dict()
    for spec in REGISTRY.values():
        fields = system_fields(spec)
        assert set(fields) <= set(CONFIG_FLAGS)
        group = {flag.name for flag in by_module[f"{spec.name} (--model={spec.name})"]}
        assert group == set(fields), spec.name
        for name, field in fields.items():
            assert FLAGS[name].default is None  # the value comes from resolve(), per system
            assert field.help in FLAGS[name].help


def test_help_lists_each_systems_default():
    assert "stargan 128, ugatit 256, cyclegan 256" in FLAGS["image_size"].help
    assert "ugatit 4, cyclegan 9" in FLAGS["n_res"].help


def test_two_systems_giving_one_flag_different_types_is_refused_at_import():
    spec = REGISTRY["cyclegan"]
    metadata = {"help": "h", "architecture": False, "choices": None, "minimum": None}
    clash = dataclasses.make_dataclass("Clash", [("pool_size", str, dataclasses.field(default="x", metadata=metadata))],
                                       bases=(spec.config,), frozen=True)
    with pytest.raises(TypeError, match="--pool_size has different types"):
        config_flags.define_config_flags([spec, dataclasses.replace(spec, name="clash", config=clash)],
                                         flag_values=flags.FlagValues())


def test_precedence_command_line_then_preset_then_default():
    spec = REGISTRY["ugatit"]
    resolved = resolve(spec, {"ch": 8})
    preset = spec.presets["shapes"]
    assert resolved.config.ch == 8  # given
    assert resolved.config.n_res == preset["n_res"]  # preset (built-in data)
    assert resolved.config.cam_weight == 1000.0  # default
    assert "n_res" in resolved.preset and "ch" not in resolved.preset
    official = resolve(spec, {"dataset": "folder", "data_dir": "somewhere"})
    assert official.preset == () and official.config.n_res == 4 and official.config.image_size == 256


def test_named_preset_and_no_preset():
    spec = REGISTRY["cyclegan"]
    assert resolve(spec, {}, preset="tiny").config.ch == spec.presets["tiny"]["ch"]
    assert resolve(spec, {}, preset=None).config.ch == 64


@pytest.mark.parametrize("model, flag", [("stargan", "lr"), ("cyclegan", "light"), ("cyclegan", "identity_weight"),
                                         ("ugatit", "selected_attrs"), ("stargan", "shapes_pair")])
def test_a_flag_of_another_system_is_refused_and_the_systems_flags_are_listed(model, flag):
    with pytest.raises(ConfigError) as caught:
        resolve(REGISTRY[model], {flag: FLAGS[flag].default or 1})
    message = str(caught.value)
    assert message.startswith(f"--{flag} is not a flag of --model={model}")
    for own in system_fields(REGISTRY[model]):
        assert f"--{own}" in message


def test_bad_values_are_configuration_errors_naming_the_flag():
    with pytest.raises(ConfigError, match="--batch_size=0"):
        resolve(REGISTRY["stargan"], {"batch_size": 0})
    with pytest.raises(ConfigError, match="--dataset=folder"):
        resolve(REGISTRY["stargan"], {"dataset": "folder"})
    with pytest.raises(ConfigError, match="--data_dir"):
        resolve(REGISTRY["cyclegan"], {"dataset": "folder"})
    with pytest.raises(ConfigError, match="--load_size=20"):
        resolve(REGISTRY["ugatit"], {"load_size": 20, "image_size": 32})


def test_run_architecture_records_the_fields_that_fix_the_networks():
    recorded = run_architecture(REGISTRY["stargan"], resolve(REGISTRY["stargan"], {"g_conv_dim": 16}))
    assert recorded["model"] == "stargan" and recorded["g_conv_dim"] == 16
    assert {"dataset", "selected_attrs", "image_size", "d_repeat_num"} <= set(recorded)
    assert "g_lr" not in recorded and "num_iters" not in recorded
