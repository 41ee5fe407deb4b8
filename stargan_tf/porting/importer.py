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
from stargan_tf.porting.layout import UNUSED_SUFFIXES, check_and_assign
from stargan_tf.porting.torch_files import read_torch_file

RECORD = "imported.json"  # what the run was imported from, and which networks the files lacked


@dataclasses.dataclass(frozen=True)
class TorchNetwork:
    """Where one of our networks lives in the reference code's checkpoints.

    Attributes:
        network: our network's name (``system.networks()`` key).
        pattern: a regular expression the file's name matches, its first group the iteration
            (``(\\d+)-G\\.ckpt``), or a name without a number (CycleGAN's ``latest``), which
            gives 0 (before ``iteration``); one checkpoint's files share that group.
        file_name: the pattern as a user reads it (``<iteration>-G.ckpt``).
        entries: ``[layout.Entry]``.
        key: the network's key inside the file when the file holds several, else None.
        required: whether test and export need it (generators); the others (discriminators)
            are only needed to train on.
        hints: ``{state key: text}`` for shapes that do not fit (the flag to change).
        ignored: keys of state our layers compute instead of storing.
        unused_suffixes: endings of keys dropped unread (``layout.check_and_assign``; by
            default norms' running statistics, which StarGAN's code never reads).
        iteration: our iteration from the file name's number, when that number counts
            something else (SaGAN's files count images); None: the number itself.
        stored_iteration: our iteration from the file's content, for files whose name holds
            none (DRIT's ``last.pth``, and its ``<epoch>.pth``: the file stores ``total_it``);
            used instead of the name's number.
        finish: called with our network after its weights are written: state our layers
            derive from the imported weights where the file keeps none.
    """

    network: str
    pattern: str
    file_name: str
    entries: list
    key: str = None
    required: bool = False
    hints: dict = dataclasses.field(default_factory=dict)
    ignored: tuple = ()
    unused_suffixes: tuple = UNUSED_SUFFIXES
    iteration: object = None
    stored_iteration: object = None
    finish: object = None


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
    tags = set()  # the names' first groups: one checkpoint's files share theirs
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
            if net.network in found and found[net.network][0] != path:
                raise CheckpointImportError(f"--torch_checkpoint: {found[net.network][0]} and {path} both hold the "
                                            f"{net.network}; give one.")
            found[net.network] = (path, state, net)
            if net.stored_iteration is not None:
                iterations.add(net.stored_iteration(content))
                continue
            tag = re.fullmatch(net.pattern, name).group(1)
            tags.add(tag)
            number = int(tag) if tag.isdigit() else 0  # a name without a number (CycleGAN's latest_net_G_A.pth)
            iterations.add(number if net.iteration is None else net.iteration(number))
    if len(iterations) > 1 or len(tags) > 1:
        raise CheckpointImportError(f"--torch_checkpoint: the files come from different iterations "
                                    f"({', '.join(map(str, sorted(tags) if len(tags) > 1 else sorted(iterations)))}); "
                                    "give the files of one checkpoint.")
    missing_required = [net.network for net in layout if net.required and net.network not in found]
    if missing_required:
        raise CheckpointImportError(
            f"--torch_checkpoint has no file with the {', '.join(missing_required)} "
            f"({', '.join(net.file_name for net in layout if net.network in missing_required)}).")
    networks = system.networks()
    for network, (path, state, net) in found.items():
        check_and_assign(networks[network], state, net.entries, path, net.hints, net.ignored, net.unused_suffixes)
    for network, (_, _, net) in found.items():
        if net.finish is not None:
            net.finish(networks[network])
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
