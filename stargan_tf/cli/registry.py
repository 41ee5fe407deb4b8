"""The one registry from ``--model`` to what builds a system, its data and its test inputs."""

import dataclasses
import os
from typing import Callable, Mapping

import numpy as np

from stargan_tf.cli import data as data_lib
from stargan_tf.cli import presets
from stargan_tf.models.cyclegan import CycleGAN, CycleGANConfig
from stargan_tf.models.stargan import Domains, StarGAN
from stargan_tf.models.ugatit import UGATIT, UGATITConfig


@dataclasses.dataclass(frozen=True)
class SystemEntry:
    """What the CLI needs to run one system.

    Attributes:
        load_data: ``(flags, cache_dir) -> data`` with ``make_dataset(start)`` and
            ``sample_examples(n)``.
        build: ``(flags, data) -> GANSystem`` (called inside the strategy scope).
        architecture: ``flags -> dict`` of the flags that fix the networks' shapes.
        sample_batch: ``(system, data, flags) -> batch`` for ``translation_columns``.
        test_batch: ``(system, data, flags, images) -> batch`` for test mode on the
            user's images (float32 in [-1, 1]).
        shapes_preset: flag values for --dataset=shapes.
        model_defaults: the system's official defaults where they differ from the flags'.
    """

    load_data: Callable
    build: Callable
    architecture: Callable
    sample_batch: Callable
    test_batch: Callable
    shapes_preset: Mapping[str, object]
    model_defaults: Mapping[str, object] = dataclasses.field(default_factory=dict)


# ---- StarGAN ------------------------------------------------------------------------------
def _build_stargan(flags, data):
    domains = [Domains(source.key, space.names, space.single_label)
               for source, space in zip(data.sources, data.label_spaces)]
    return StarGAN(
        domains, image_size=flags.image_size, g_conv_dim=flags.g_conv_dim, d_conv_dim=flags.d_conv_dim,
        g_repeat_num=flags.g_repeat_num, d_repeat_num=flags.d_repeat_num, lambda_cls=flags.lambda_cls,
        lambda_rec=flags.lambda_rec, lambda_gp=flags.lambda_gp, n_critic=flags.n_critic, g_lr=flags.g_lr,
        d_lr=flags.d_lr, beta1=flags.beta1, beta2=flags.beta2, num_iters=flags.num_iters,
        num_iters_decay=flags.num_iters_decay, lr_update_step=flags.lr_update_step,
        global_batch_size=flags.batch_size, seed=flags.seed, name="stargan")


def _stargan_architecture(flags):
    return {"model": "stargan", "dataset": flags.dataset, "image_size": flags.image_size,
            "selected_attrs": list(flags.selected_attrs) if flags.dataset in ("shapes", "CelebA", "Both") else None,
            "g_conv_dim": flags.g_conv_dim, "d_conv_dim": flags.d_conv_dim,
            "g_repeat_num": flags.g_repeat_num, "d_repeat_num": flags.d_repeat_num}


def _stargan_targets(system, data, source_labels, target_names=None):
    """Targets for images of the first dataset: the official create_labels over its label
    space, then (joint training) every class of the other datasets."""
    targets = []
    for index, space in enumerate(data.label_spaces):
        labels = source_labels if index == 0 else np.zeros((len(source_labels), space.size), np.float32)
        names = target_names if index == 0 else None
        for name, target in space.test_targets(labels, names):
            targets.append((name, system.generator_labels(target, index)))
    return targets


def _stargan_sample_batch(system, data, flags):
    images, labels = data.sample_examples(8)[0]
    return {"image": images, "targets": _stargan_targets(system, data, labels)}


def _stargan_test_batch(system, data, flags, images):
    """User images come without labels: D's classifier estimates the source labels."""
    labels = system.estimate_labels(images, 0).numpy()
    return {"image": images, "targets": _stargan_targets(system, data, labels, flags.target_attrs)}


# ---- U-GAT-IT and CycleGAN (unpaired, two domains) ------------------------------------------
def _build_ugatit(flags, data):
    config = UGATITConfig(
        image_size=flags.image_size, ngf=flags.ch, ndf=flags.ch, n_res=flags.n_res, light=flags.light,
        global_n_layers=flags.global_n_layers, local_n_layers=flags.local_n_layers, adv_weight=flags.adv_weight,
        cycle_weight=flags.cycle_weight, identity_weight=flags.identity_weight, cam_weight=flags.cam_weight,
        lr=flags.lr, beta_1=flags.beta1, beta_2=flags.beta2, weight_decay=flags.weight_decay,
        num_iters=flags.num_iters)
    return UGATIT(flags.batch_size, config, seed=flags.seed)


def _ugatit_architecture(flags):
    return {"model": "ugatit", "image_size": flags.image_size, "ch": flags.ch, "n_res": flags.n_res,
            "light": flags.light, "global_n_layers": flags.global_n_layers, "local_n_layers": flags.local_n_layers}


def _build_cyclegan(flags, data):
    config = CycleGANConfig(
        image_size=flags.image_size, ngf=flags.ch, ndf=flags.ch, n_blocks=flags.n_res,
        lambda_cycle=flags.cycle_weight, lambda_identity=flags.lambda_identity, pool_size=flags.pool_size,
        lr=flags.lr, beta_1=flags.beta1, beta_2=flags.beta2, num_iters=flags.num_iters)
    return CycleGAN(flags.batch_size, config, seed=flags.seed)


def _cyclegan_architecture(flags):
    return {"model": "cyclegan", "image_size": flags.image_size, "ch": flags.ch, "n_res": flags.n_res}


def _unpaired_sample_batch(system, data, flags):
    return data.sample_examples(4)


def _unpaired_test_batch(system, data, flags, images):
    """Test images go A->B, B->A or both ways (--direction)."""
    keys = {"a2b": ("image_a",), "b2a": ("image_b",), "both": ("image_a", "image_b")}[flags.direction]
    return {key: images for key in keys}


def _unpaired_entry(build, architecture, shapes_preset, model_defaults):
    return SystemEntry(
        load_data=lambda flags, cache_dir: data_lib.unpaired_data(flags, cache_dir),
        build=build, architecture=architecture, sample_batch=_unpaired_sample_batch,
        test_batch=_unpaired_test_batch, shapes_preset=shapes_preset, model_defaults=model_defaults)


REGISTRY = {
    "stargan": SystemEntry(
        load_data=lambda flags, cache_dir: data_lib.conditional_data(flags, cache_dir),
        build=_build_stargan,
        architecture=_stargan_architecture,
        sample_batch=_stargan_sample_batch,
        test_batch=_stargan_test_batch,
        shapes_preset=presets.STARGAN_SHAPES,
    ),
    "ugatit": _unpaired_entry(_build_ugatit, _ugatit_architecture, presets.UGATIT_SHAPES, presets.UGATIT_DEFAULTS),
    "cyclegan": _unpaired_entry(_build_cyclegan, _cyclegan_architecture, presets.CYCLEGAN_SHAPES,
                                presets.CYCLEGAN_DEFAULTS),
}


def entry(model):
    return REGISTRY[model]


def validation_cache_dir(run_dir):
    return os.path.join(run_dir, "data_checks")
