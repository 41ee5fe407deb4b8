"""The one registry from ``--model`` to what builds a system, its data and its test inputs."""

import dataclasses
import os
from typing import Callable, Mapping

import numpy as np

from stargan_tf.cli import data as data_lib
from stargan_tf.cli import presets
from stargan_tf.models.stargan import Domains, StarGAN


@dataclasses.dataclass(frozen=True)
class SystemEntry:
    """What the CLI needs to run one system.

    Attributes:
        load_data: ``(flags, cache_dir) -> data`` with ``make_dataset(start)`` and
            ``sample_examples(n)``.
        build: ``(flags, data) -> GANSystem`` (called inside the strategy scope).
        architecture: ``flags -> dict`` of the flags that fix the networks' shapes.
        sample_batch: ``(system, data, flags) -> batch`` for ``translation_columns``.
        test_batches: ``(system, data, flags, names, images) -> batch`` for test mode on
            images (names for output files; images float32 in [-1, 1]).
        shapes_preset: flag values for --dataset=shapes.
    """

    load_data: Callable
    build: Callable
    architecture: Callable
    sample_batch: Callable
    test_batch: Callable
    shapes_preset: Mapping[str, object]


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


REGISTRY = {
    "stargan": SystemEntry(
        load_data=lambda flags, cache_dir: data_lib.conditional_data(flags, cache_dir),
        build=_build_stargan,
        architecture=_stargan_architecture,
        sample_batch=_stargan_sample_batch,
        test_batch=_stargan_test_batch,
        shapes_preset=presets.STARGAN_SHAPES,
    ),
}


def entry(model):
    return REGISTRY[model]


def validation_cache_dir(run_dir):
    return os.path.join(run_dir, "data_checks")
