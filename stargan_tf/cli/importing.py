"""main.py's --mode=import: official PyTorch checkpoints into a new run directory."""

import os


def import_run(run):
    """Read ``--torch_checkpoint``'s files, check every network against the flags, then
    write a run directory (a checkpoint at the files' iteration with fresh optimizer state,
    the run config, ``imported.json``) that test, export, eval and train use. An existing
    run directory is refused untouched."""
    from stargan_tf.cli.app import _print_outputs
    from stargan_tf.cli.config_flags import run_architecture
    from stargan_tf.cli.run_config import check_run_config
    from stargan_tf.cli.systems import build_system, load_data
    from stargan_tf.models.config import ConfigError
    from stargan_tf.porting import importer
    from stargan_tf.porting.layout import round_trip_difference
    from stargan_tf.training.checkpoints import RunCheckpoint
    from stargan_tf.training.run_dir import RunDirError, RunLock, StagedDataChecks, check_usable

    paths = run.flags.torch_checkpoint
    if not paths:
        raise ConfigError("--mode=import needs --torch_checkpoint: the reference code's checkpoint files, "
                          "comma-separated (README, Importing official weights).")
    check_usable(run.run_dir)
    if os.path.isdir(run.run_dir) and os.listdir(run.run_dir):
        raise RunDirError(f"--run_dir={run.run_dir} already holds files; import into a new folder (nothing was "
                          "changed).")
    checks = StagedDataChecks(run.run_dir)
    lock = RunLock(run.run_dir)
    try:
        data = load_data(run.spec, run.resolved, checks.directory)
        system = build_system(run.spec, run.resolved, data)
        imported = importer.import_networks(system, paths)
        lock.acquire()
        checks.commit()
        check_run_config(run.run_dir, run_architecture(run.spec, run.resolved), write=True)
        saved = RunCheckpoint(system, run.run_dir).save(imported.iteration)
        importer.write_record(run.run_dir, imported.iteration, imported.files, imported.missing)
    finally:
        checks.discard()
        lock.release()
    # Self-check of the mapping: our weights written back in the reference layout are the files' arrays.
    for network, (state, net) in imported.states.items():
        worst = round_trip_difference(system.networks()[network], state, net.entries)
        print(f"{network}: {len(net.entries)} tensors from {imported.files[network]}; written back in the "
              f"reference layout: max difference {worst:g}")
    if imported.missing:
        print(f"The files hold no {', '.join(imported.missing)}: test, export and eval work; training needs "
              "them (import them too).")
        generators = [network for network in imported.missing
                      if any(system.networks()[network] is g for g in getattr(system, "generators", list)())]
        if generators:  # a one-direction release (CycleGAN's model zoo)
            print(f"The {', '.join(generators)} keeps its initial weights: translate only with the imported "
                  "generators (its direction's outputs, and its exported endpoint, are noise).")
    outputs = {"checkpoint": saved, "imported from": ", ".join(dict.fromkeys(imported.files.values()))}
    _print_outputs(outputs)
    return outputs
