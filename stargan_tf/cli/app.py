"""The modes of main.py: train, test, export, summary."""

import os
import tempfile

from stargan_tf.cli import presets
from stargan_tf.cli.registry import entry, validation_cache_dir
from stargan_tf.cli.run_config import check_run_config


def run(flags):
    """Entry point after flag parsing; returns what the mode produced (paths)."""
    # Must happen before TensorFlow runs any op.
    from stargan_tf.training.strategy import split_cpu
    split_cpu(flags.num_cpu_devices)
    import keras

    system_entry = entry(flags.model)
    presets.apply_preset(flags, system_entry.model_defaults)
    if flags.dataset == "shapes":
        applied = presets.apply_preset(flags, system_entry.shapes_preset)
        if applied and flags.mode == "train":
            print(f"Built-in dataset: CPU preset for {', '.join(applied)} (set them to override).")
    if flags.run_dir is None:
        flags.run_dir = os.path.join("runs", flags.model)
    if flags.mixed_precision != "none":
        keras.mixed_precision.set_global_policy(flags.mixed_precision)
    keras.utils.set_random_seed(flags.seed)
    modes = {"train": train, "test": test, "export": export, "summary": summary}
    return modes[flags.mode](flags, system_entry)


def _build(flags, system_entry, strategy, data):
    with strategy.scope():
        system = system_entry.build(flags, data)
        system.build_networks()
    return system


def train(flags, system_entry):
    from stargan_tf.training.loop import LoopConfig, Trainer
    from stargan_tf.training.strategy import is_chief, make_strategy

    strategy = make_strategy(flags.strategy)
    chief = is_chief(strategy)
    check_run_config(flags.run_dir, system_entry.architecture(flags), write=chief)
    cache_dir = validation_cache_dir(flags.run_dir) if chief else tempfile.mkdtemp(prefix="data-checks-")
    data = system_entry.load_data(flags, cache_dir)
    system = _build(flags, system_entry, strategy, data)
    with strategy.scope():
        system.make_optimizers()
    loop_config = LoopConfig(
        num_iters=flags.num_iters, log_step=flags.log_step, sample_step=flags.sample_step,
        model_save_step=flags.model_save_step, keep_checkpoints=flags.keep_checkpoints,
        jit_compile=flags.jit_compile)
    trainer = Trainer(system, strategy, data.make_dataset, flags.run_dir, loop_config,
                      sample_batch=system_entry.sample_batch(system, data, flags), is_chief=chief)
    trainer.run()
    outputs = {"checkpoints": trainer.checkpoint.directory, "tensorboard": trainer.summaries.directory}
    if trainer.last_sample_path:
        outputs["samples"] = trainer.last_sample_path
    if chief and flags.export_after_train:
        outputs.update(_export(flags, system))
    if chief:
        _print_outputs(outputs)
        print(f"Watch training with: tensorboard --logdir {trainer.summaries.directory}")
    return outputs


def _restored(flags, system_entry):
    """The system with the networks of the run's latest checkpoint (for test and export)."""
    import tensorflow as tf

    from stargan_tf.training.checkpoints import restore_networks

    check_run_config(flags.run_dir, system_entry.architecture(flags), write=False)
    data = system_entry.load_data(flags, validation_cache_dir(flags.run_dir))
    system = _build(flags, system_entry, tf.distribute.get_strategy(), data)
    path = restore_networks(system.networks(), flags.run_dir)
    print(f"Restored {path}")
    return system, data


def test(flags, system_entry):
    import numpy as np

    from stargan_tf.pipelines import load_user_images
    from stargan_tf.training.samples import grid, save_png, to_uint8

    system, data = _restored(flags, system_entry)
    image_dir = flags.test_image_dir
    if image_dir is None:
        raise SystemExit("--mode=test needs --test_image_dir: a folder of your images (JPEG or PNG).")
    names, images = load_user_images(image_dir, flags.image_size)
    result_dir = flags.result_dir or os.path.join(flags.run_dir, "results")
    written = []
    for start in range(0, len(names), 16):
        batch = system_entry.test_batch(system, data, flags, images[start : start + 16])
        columns = [(name, np.asarray(values)) for name, values in system.translation_columns(batch)]
        for offset, image_name in enumerate(names[start : start + 16]):
            stem = os.path.splitext(os.path.basename(image_name))[0]
            for column, values in columns[1:]:
                written.append(save_png(to_uint8(values[offset]), os.path.join(result_dir, f"{stem}_{column}.png")))
        save_png(grid(columns), os.path.join(result_dir, f"grid-{start // 16 + 1:03d}.png"))
    print(f"Wrote {len(written)} translations of {len(names)} images and their grids to {result_dir}")
    return {"results": result_dir}


def _export(flags, system):
    from stargan_tf.export import export_bundle

    export_dir = flags.export_dir or os.path.join(flags.run_dir, "export")
    report = export_bundle(system.serving_bundle(), export_dir, version=flags.export_version,
                           tflite_quantizations=tuple(flags.tflite_quantization))
    version_dir = report["path"]
    outputs = {"saved_model": version_dir}
    for tflite in report["tflite"]:
        outputs[f"tflite {tflite['endpoint']} ({tflite['precision']})"] = os.path.join(version_dir, tflite["file"])
    outputs["export report"] = os.path.join(version_dir, "export_report.json")
    return outputs


def export(flags, system_entry):
    system, _ = _restored(flags, system_entry)
    outputs = _export(flags, system)
    _print_outputs(outputs)
    return outputs


def summary(flags, system_entry):
    import tensorflow as tf

    data = system_entry.load_data(flags, validation_cache_dir(flags.run_dir))
    system = _build(flags, system_entry, tf.distribute.get_strategy(), data)
    total = 0
    for name, network in system.networks().items():
        network.summary(expand_nested=False)
        count = network.count_params()
        total += count
        print(f"{name}: {count:,} parameters\n")
    print(f"Total: {total:,} parameters")
    return {"parameters": total}


def _print_outputs(outputs):
    width = max(len(k) for k in outputs)
    for name, path in outputs.items():
        print(f"  {name.ljust(width)}  {os.path.abspath(path)}")
