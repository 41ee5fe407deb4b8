"""``--mode=import``: a system's official PyTorch checkpoint files into a run directory that
test, export, eval and training (fine-tuning) use like a run trained here.

Each system declares, in ``torch_layout()``, which of its networks the reference code saves
in which file (``TorchNetwork``: a file-name pattern whose first group is the iteration, the
key of the network when one file holds several, and the ``layout.Entry`` list). Every file
is read and every network checked before anything is written.
"""

import dataclasses
import json
import os
import re

from stargan_tf.errors import UserError
from stargan_tf.porting.layout import check_and_assign
from stargan_tf.porting.torch_files import read_torch_file

RECORD = "imported.json"  # what the run was imported from, and which networks the files lacked


@dataclasses.dataclass(frozen=True)
class TorchNetwork:
    """Where one of our networks lives in the reference code's checkpoints.

    Attributes:
        network: our network's name (``system.networks()`` key).
        pattern: a regular expression the file's name matches, its first group the iteration
            (``(\\d+)-G\\.ckpt``).
        file_name: the pattern as a user reads it (``<iteration>-G.ckpt``).
        entries: ``[layout.Entry]``.
        key: the network's key inside the file when the file holds several, else None.
        required: whether test and export need it (generators); the others (discriminators)
            are only needed to train on.
        hints: ``{state key: text}`` for shapes that do not fit (the flag to change).
        ignored: keys of state our layers compute instead of storing.
    """

    network: str
    pattern: str
    file_name: str
    entries: list
    key: str = None
    required: bool = False
    hints: dict = dataclasses.field(default_factory=dict)
    ignored: tuple = ()


@dataclasses.dataclass(frozen=True)
class Imported:
    """What ``import_networks`` wrote: the files' ``iteration``, ``files`` ({network: path}),
    the ``missing`` networks, and ``states`` ({network: (state dict, TorchNetwork)})."""

    iteration: int
    files: dict
    missing: list
    states: dict


class CheckpointImportError(UserError, ValueError):
    """Checkpoint files that cannot be imported as given."""


def import_networks(system, paths):
    """Write the networks ``system.torch_layout()`` finds in ``paths`` into ``system``.

    Returns:
        ``Imported``.
    """
    layout = system.torch_layout()
    found, iterations = {}, set()
    for path in paths:
        name = os.path.basename(path)
        matching = [net for net in layout if re.fullmatch(net.pattern, name)]
        if not matching:
            raise CheckpointImportError(
                f"--torch_checkpoint {path}: not a file name {system.name}'s reference code writes "
                f"({', '.join(sorted({net.file_name for net in layout}))}); give the files as saved, or rename "
                "them so.")
        if not os.path.isfile(path):
            raise CheckpointImportError(f"--torch_checkpoint {path} does not exist.")
        content = read_torch_file(path)
        for net in matching:
            if net.key is not None and not net.required and isinstance(content, dict) and net.key not in content:
                continue  # a file without this optional network (a generator-only release)
            state = content if net.key is None else _member(content, net.key, path)
            found[net.network] = (path, state, net)
            iterations.add(int(re.fullmatch(net.pattern, name).group(1)))
    if len(iterations) > 1:
        raise CheckpointImportError(f"--torch_checkpoint: the files come from different iterations "
                                    f"({sorted(iterations)}); give the files of one checkpoint.")
    missing_required = [net.network for net in layout if net.required and net.network not in found]
    if missing_required:
        raise CheckpointImportError(
            f"--torch_checkpoint has no file with the {', '.join(missing_required)} "
            f"({', '.join(net.file_name for net in layout if net.network in missing_required)}).")
    networks = system.networks()
    for network, (path, state, net) in found.items():
        check_and_assign(networks[network], state, net.entries, path, net.hints, net.ignored)
    return Imported(iterations.pop(), {network: path for network, (path, _, _) in found.items()},
                    sorted({net.network for net in layout} - set(found)),
                    {network: (state, net) for network, (_, state, net) in found.items()})


def _member(content, key, path):
    if not isinstance(content, dict) or key not in content:
        held = ", ".join(map(str, content)) if isinstance(content, dict) else type(content).__name__
        raise CheckpointImportError(f"{path} has no {key!r} (it holds {held}): is it a checkpoint of this system?")
    return content[key]


def write_record(run_dir, iteration, files, missing):
    with open(os.path.join(run_dir, RECORD), "w") as handle:
        json.dump({"iteration": iteration, "files": files, "missing": missing}, handle, indent=2)


def missing_for_training(run_dir, start):
    """The networks an imported run lacks when training would start from the imported
    checkpoint (``start``), else []."""
    path = os.path.join(run_dir, RECORD)
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        record = json.load(handle)
    return record["missing"] if record["iteration"] == start else []
