"""The modes of main.py: train, test, export, summary, sketch (eval and train_classifier:
``evaluation``; import: ``importing``)."""

import contextlib
import dataclasses
import os
import re

from stargan_tf.cli.config_flags import given_values, resolve, run_architecture
from stargan_tf.cli.flags import CONFIG_FLAGS
from stargan_tf.cli.run_config import check_run_config
from stargan_tf.models.config import ConfigError
from stargan_tf.models.registry import REGISTRY

TEST_BATCH = 16


@dataclasses.dataclass(frozen=True)
class Run:
    """One invocation: the system, its settings, the common flags and the run directory."""

    spec: object
    resolved: object
    flags: object
    run_dir: str

    @property
    def config(self):
        return self.resolved.config


def run(flags):
    """Entry point after flag parsing; returns what the mode produced (paths).

    Flags are checked before TensorFlow loads: a mistake costs no start-up time.
    """
    spec = REGISTRY[flags.model]
    resolved = resolve(spec, given_values(flags, CONFIG_FLAGS))
    if flags.export_model_name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", flags.export_model_name):
        raise ConfigError(f"--export_model_name={flags.export_model_name!r}: use letters, digits, '_', '-' and '.' "
                          "(it becomes a folder and the TF Serving model name).")
    if resolved.preset and flags.mode in ("train", "summary"):
        print(f"Built-in dataset: CPU preset for {', '.join(resolved.preset)} (set them to override; "
              "with --dataset=CelebA/RaFD/Both/folder the official defaults apply).")
    # Must happen before TensorFlow runs any op.
    from stargan_tf.training.strategy import split_cpu
    split_cpu(flags.num_cpu_devices)
    import keras

    if flags.mixed_precision != "none":
        keras.mixed_precision.set_global_policy(flags.mixed_precision)
    keras.utils.set_random_seed(resolved.config.seed)
    context = Run(spec, resolved, flags, flags.run_dir or os.path.join("runs", spec.name))
    from stargan_tf.cli import evaluation, importing

    modes = {"train": train, "test": test, "export": export, "summary": summary, "sketch": sketch,
             "eval": evaluation.evaluate, "train_classifier": evaluation.train_classifier,
             "import": importing.import_run}
    return modes[flags.mode](context)


def train(run):
    """Check everything (flags, run record, lock, data, checkpoint) writing nothing into the
    run directory, then take the run's lock, record the run and train."""
    import numpy as np

    from stargan_tf.cli.systems import build_system, load_data
    from stargan_tf.porting.importer import RECORD as IMPORT_RECORD
    from stargan_tf.porting.importer import missing_for_training
    from stargan_tf.training.hooks import SampleGrid
    from stargan_tf.training.loop import LoopConfig, Trainer
    from stargan_tf.training.run_dir import RunLock, StagedDataChecks, check_usable
    from stargan_tf.training.strategy import is_chief, make_strategy

    flags, config = run.flags, run.config
    strategy = make_strategy(flags.strategy)
    chief = is_chief(strategy)
    architecture = run_architecture(run.spec, run.resolved)
    lock = RunLock(run.run_dir)
    if chief:  # the other workers keep no files; the chief's lock covers the run
        check_usable(run.run_dir)
        lock.check_free()
    check_run_config(run.run_dir, architecture, write=False)
    checks = StagedDataChecks(run.run_dir)
    try:
        data = load_data(run.spec, run.resolved, checks.directory)
        system = build_system(run.spec, run.resolved, data, strategy)
        samples = SampleGrid(system.sample_batch(data.sample_examples(system.sample_count),
                                                 np.random.default_rng(config.seed)), config.sample_step)
        loop_config = LoopConfig(num_iters=config.num_iters, log_step=config.log_step,
                                 model_save_step=config.model_save_step, keep_checkpoints=flags.keep_checkpoints,
                                 jit_compile=flags.jit_compile)
        hooks = [samples]
        if flags.eval_step:
            from stargan_tf.cli.evaluation import evaluate
            from stargan_tf.training.hooks import PeriodicEvaluation

            hooks.append(PeriodicEvaluation(
                lambda iteration, summaries: evaluate(run, system, data, iteration, summaries), flags.eval_step))
        trainer = Trainer(system, strategy, data.make_dataset, run.run_dir, loop_config, hooks=hooks,
                          is_chief=chief)
        trainer.restore()
        lacking = missing_for_training(run.run_dir, trainer.start)
        if lacking:
            raise ConfigError(f"{run.run_dir} was imported without its {', '.join(lacking)} ({IMPORT_RECORD}): "
                              "test, export and eval work, but training needs them; import the run again with "
                              "their files in --torch_checkpoint.")
        if flags.init_run_dir:
            _initialise_networks(run, system, trainer.start)
        if chief:
            lock.acquire()
            checks.commit()
            check_run_config(run.run_dir, architecture, write=True)
        trainer.run()
    finally:
        checks.discard()
        lock.release()
    outputs = {"checkpoints": trainer.checkpoint.directory, "tensorboard": trainer.summaries.directory}
    if samples.last_path:
        outputs["samples"] = samples.last_path
    if chief:
        outputs.update(system.test_split_report(data, os.path.join(run.run_dir, "test_split")))
    if chief and flags.export_after_train:
        outputs.update(_export(run, system, data))
    if chief:
        _print_outputs(outputs)
        print(f"Watch training with: tensorboard --logdir {trainer.summaries.directory}")
    return outputs


def _initialise_networks(run, system, start):
    """``--init_run_dir``: the networks from another run's latest checkpoint, before the new
    run writes anything (a source without a checkpoint, or with networks of other sizes, is
    refused with the run directory untouched)."""
    from stargan_tf.errors import UserError
    from stargan_tf.training.checkpoints import restore_networks

    source = run.flags.init_run_dir
    if start:
        print(f"--init_run_dir={source} ignored: {run.run_dir} has its own checkpoint, and training resumes from "
              f"iteration {start}.")
        return
    if os.path.abspath(source) == os.path.abspath(run.run_dir):
        raise ConfigError(f"--init_run_dir={source} is the --run_dir itself; name the run to start from.")
    try:
        path = restore_networks(system.networks(), source)
    except UserError as error:
        raise ConfigError(f"--init_run_dir={source} cannot start this run: {error}") from None
    print(f"Networks initialised from {path}; the optimizers and the iteration count start afresh.")


@contextlib.contextmanager
def _read_only(run, restore=True):
    """``(system, data)`` of a run for test, export and summary, which only read it: the
    data is validated with the run's data-check cache but nothing is written into the run
    directory; with ``restore`` the networks are the latest checkpoint's."""
    from stargan_tf.cli.systems import build_system, load_data
    from stargan_tf.training.checkpoints import restore_networks
    from stargan_tf.training.run_dir import StagedDataChecks

    if restore:
        check_run_config(run.run_dir, run_architecture(run.spec, run.resolved), write=False)
    checks = StagedDataChecks(run.run_dir)
    try:
        data = load_data(run.spec, run.resolved, checks.directory)
        system = build_system(run.spec, run.resolved, data, optimizers=False)
        if restore:
            print(f"Restored {restore_networks(system.networks(), run.run_dir)}")
        yield system, data
    finally:
        checks.discard()


def test(run):
    if run.flags.test_image_dir is None:
        raise ConfigError("--mode=test needs --test_image_dir: a folder of your images (JPEG, PNG, GIF, BMP or WEBP).")
    with _read_only(run) as (system, data):
        return _translate_folder(run, system, data)


def _translate_folder(run, system, data):
    from stargan_tf.models.base import INPUT
    from stargan_tf.pipelines import load_user_images
    from stargan_tf.export.images import to_pixels
    from stargan_tf.training.samples import grid, save_png

    photos = load_user_images(run.flags.test_image_dir, run.config.image_size, data.test_load_size)
    extra = {}
    reference_dir = getattr(run.config, "reference_dir", None)  # systems that take reference images (DRIT)
    if reference_dir:
        references = load_user_images(reference_dir, run.config.image_size, data.test_load_size)
        extra = {"reference": references.images, "reference_names": references.stems}
    result_dir = run.flags.result_dir or os.path.join(run.run_dir, "results")
    written = []
    for start in range(0, len(photos.stems), TEST_BATCH):
        columns = system.test_columns({"image": photos.images[start : start + TEST_BATCH], **extra})
        for offset, stem in enumerate(photos.stems[start : start + TEST_BATCH]):
            for column in columns:
                if column.role != INPUT:
                    suffix = column.row_names[offset] if column.row_names else column.name
                    path = os.path.join(result_dir, f"{stem}_{suffix}.png")
                    written.append(save_png(to_pixels(column.images[offset]), path))
        save_png(grid(columns), os.path.join(result_dir, f"grid-{start // TEST_BATCH + 1:03d}.png"))
    print(f"Wrote {len(written)} images for {len(photos.stems)} inputs and their grids to {result_dir}")
    if photos.skipped:
        print(f"Skipped {len(photos.skipped)} of {photos.total} files (why: the lines at the start): "
              + ", ".join(os.path.basename(path) for path, _ in photos.skipped))
    return {"results": result_dir}


def _export(run, system, data):
    import tensorflow as tf

    from stargan_tf.cli.data import model_name
    from stargan_tf.cli.systems import serving_bundle
    from stargan_tf.export import export_bundle
    from stargan_tf.training.run_dir import is_disk_full, write_error

    flags = run.flags
    name = flags.export_model_name or model_name(run.spec.name, data)
    bundle = dataclasses.replace(serving_bundle(system, data), model_name=name)
    export_dir = flags.export_dir or os.path.join(run.run_dir, "export")
    try:
        report = export_bundle(bundle, export_dir, version=flags.export_version,
                               tflite_quantizations=tuple(flags.tflite_quantization))
    except (OSError, tf.errors.OpError) as error:
        if isinstance(error, tf.errors.OpError) and not is_disk_full(error):
            raise
        raise write_error(os.path.join(export_dir, name), error,
                          "No version was published; earlier versions are untouched.") from error
    version_dir = report["path"]
    outputs = {"saved_model": version_dir}
    for tflite in report["tflite"]:
        outputs[f"tflite {tflite['endpoint']} ({tflite['precision']})"] = os.path.join(version_dir, tflite["file"])
    outputs["export report"] = os.path.join(version_dir, "export_report.json")
    return outputs


def export(run):
    with _read_only(run) as (system, data):
        outputs = _export(run, system, data)
    _print_outputs(outputs)
    return outputs


def summary(run):
    with _read_only(run, restore=False) as (system, _):
        for name, network in system.networks().items():
            network.summary(expand_nested=False)
            print(f"{name}: {_size(network.trainable_variables):,} parameters\n")
        total = _size(system.unique_variables(*system.networks().values()))
    print(f"Total: {total:,} parameters (trainable; weights shared between networks counted once)")
    return {"parameters": total}


def sketch(run):
    """XDoG sketches of the user's photos with the run's --xdog_* values, as the sketch data
    family draws them for training: one grey PNG per photo at --image_size, named after it.
    Needs no trained run and writes nothing into --run_dir."""
    from stargan_tf.export.images import to_pixels
    from stargan_tf.pipelines import load_user_images
    from stargan_tf.pipelines.sketches import xdog_sketch
    from stargan_tf.training.samples import save_png

    if not hasattr(run.resolved.data, "xdog_parameters"):
        readers = sorted(name for name, spec in REGISTRY.items() if spec.data == "sketch")
        raise ConfigError(f"--mode=sketch draws the sketches of systems that read sketches (--model="
                          f"{'|'.join(readers)}); --model={run.spec.name} does not.")
    if run.flags.test_image_dir is None or run.flags.result_dir is None:
        raise ConfigError("--mode=sketch needs --test_image_dir (your photos) and --result_dir (where the sketches "
                          "go).")
    photos = load_user_images(run.flags.test_image_dir, run.config.image_size)
    parameters = run.resolved.data.xdog_parameters()
    written = []
    for start in range(0, len(photos.stems), TEST_BATCH):
        drawn = xdog_sketch(photos.images[start : start + TEST_BATCH], parameters).numpy()
        for stem, pixels in zip(photos.stems[start : start + TEST_BATCH], to_pixels(drawn)):
            written.append(save_png(pixels.repeat(3, axis=-1), os.path.join(run.flags.result_dir, f"{stem}.png")))
    print(f"Wrote {len(written)} sketches ({run.config.image_size}x{run.config.image_size}, XDoG "
          f"{parameters}) to {run.flags.result_dir}")
    return {"sketches": run.flags.result_dir}


def _size(variables):
    return sum(int(v.shape.num_elements()) for v in variables)


def _print_outputs(outputs):
    width = max(len(k) for k in outputs)
    for name, path in outputs.items():
        print(f"  {name.ljust(width)}  {os.path.abspath(path)}")
