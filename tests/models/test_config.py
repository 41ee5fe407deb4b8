"""Configuration checks: a flag value the networks cannot use raises ``ConfigError`` where the
configuration is built, and the message names the flag (no TensorFlow needed)."""

import re

import pytest

from stargan_tf.models.config import ConfigError
from stargan_tf.models.cyclegan.config import CycleGANConfig
from stargan_tf.models.stargan.config import StarGANConfig
from stargan_tf.models.ugatit.config import UGATITConfig

CONFIGS = (StarGANConfig, UGATITConfig, CycleGANConfig)


def check_rejected(config_class, flags, *fragments):
    """``fragments``: the flags and numbers the message must name (not its wording)."""
    with pytest.raises(ConfigError) as error:
        config_class(**flags)
    for fragment in fragments:
        assert fragment in str(error.value), (fragment, str(error.value))


@pytest.mark.parametrize(
    "config_class, flags, fragments",
    [
        # StarGAN D's classification kernel is image_size / 2**d_repeat_num.
        (StarGANConfig, {"image_size": 40, "d_repeat_num": 4}, ("--image_size=40", "d_repeat_num", "16")),
        (StarGANConfig, {"image_size": 30, "d_repeat_num": 1}, ("--image_size=30", "multiple of 4")),
        # U-GAT-IT's 7-layer global D has 5 stride-2 convolutions and two 4x4 ones.
        (UGATITConfig, {"image_size": 64}, ("--global_n_layers=7", "96")),
        (UGATITConfig, {"image_size": 32, "global_n_layers": 5, "local_n_layers": 6},
         ("--local_n_layers=6", "48")),
        (UGATITConfig, {"image_size": 98}, ("--image_size=98", "multiple of 4")),
        (CycleGANConfig, {"image_size": 16}, ("--image_size=16", "24")),
        (CycleGANConfig, {"image_size": 20}, ("--image_size=20", "24")),
        (CycleGANConfig, {"image_size": 30}, ("--image_size=30", "multiple of 4")),
    ],
)
def test_image_size_the_networks_cannot_use_is_rejected(config_class, flags, fragments):
    check_rejected(config_class, flags, *fragments)


@pytest.mark.parametrize("config_class", CONFIGS)
@pytest.mark.parametrize("batch_size", [0, -1])
def test_batch_size_must_be_positive(config_class, batch_size):
    check_rejected(config_class, {"batch_size": batch_size}, f"--batch_size={batch_size}", "at least 1")


@pytest.mark.parametrize("config_class", (UGATITConfig, CycleGANConfig))
def test_unknown_direction_is_rejected(config_class):
    check_rejected(config_class, {"direction": "sideways"}, "--direction=sideways", "a2b, b2a, both")
    for direction in ("a2b", "b2a", "both"):
        assert config_class(direction=direction).direction == direction


@pytest.mark.parametrize("n_layers", range(3, 8))
def test_ugatit_smallest_image_size_in_the_message_is_the_smallest_that_works(n_layers):
    """The size the error suggests is accepted; the next smaller multiple of 4 is not."""
    with pytest.raises(ConfigError) as error:
        UGATITConfig(image_size=4, global_n_layers=n_layers, local_n_layers=3)
    smallest = int(re.search(r"(?:>=|at least) *(\d+)", str(error.value)).group(1))
    usable = -(-smallest // 4) * 4  # the generator also needs a multiple of 4
    UGATITConfig(image_size=usable, global_n_layers=n_layers, local_n_layers=3)
    with pytest.raises(ConfigError):
        UGATITConfig(image_size=usable - 4, global_n_layers=n_layers, local_n_layers=3)


def test_smallest_sizes_are_accepted():
    StarGANConfig(image_size=16, d_repeat_num=4)
    UGATITConfig(image_size=96)
    CycleGANConfig(image_size=24)
