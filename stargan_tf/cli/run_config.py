"""The flags that fix a run's architecture, recorded in ``<run_dir>/run_config.json`` so a
restart with different flags fails with a clear message instead of a shape error."""

import json
import os

from stargan_tf.errors import UserError


class RunConfigMismatchError(UserError, ValueError):
    """--run_dir holds a run trained with different architecture flags."""


def check_run_config(run_dir, config, write=True):
    """Compare ``config`` with the one recorded in ``run_dir``; record it if there is none
    (and ``write``). Raises ``RunConfigMismatchError`` naming every differing flag."""
    path = os.path.join(run_dir, "run_config.json")
    if os.path.exists(path):
        with open(path) as handle:
            recorded = json.load(handle)
        differing = {k: (recorded.get(k), v) for k, v in config.items() if recorded.get(k) != v}
        if differing:
            details = ", ".join(f"--{k}: run has {old!r}, flags say {new!r}" for k, (old, new) in differing.items())
            raise RunConfigMismatchError(
                f"{run_dir} holds a run with different architecture flags ({details}). Pass the run's "
                f"flags, or use a new --run_dir. Nothing in {run_dir} was changed."
            )
        return
    if write:
        os.makedirs(run_dir, exist_ok=True)
        temporary = path + ".tmp"
        with open(temporary, "w") as handle:
            json.dump(config, handle, indent=2, sort_keys=True)
        os.replace(temporary, path)
