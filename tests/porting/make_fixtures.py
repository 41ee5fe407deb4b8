"""Writes the fixtures of tests/porting/test_torch_files.py with torch itself (a throwaway
venv, never the project's):

    /tmp/torchvenv/bin/python tests/porting/make_fixtures.py

Writes into tests/porting/fixtures/ (a few KB each):

- ``state_zip.pth`` / ``state_legacy.pth``: one state dict (conv, linear, batch norm, a
  transposed view, views sharing one storage at offsets, a negated view, float16, bfloat16,
  float64, int32, uint8, uint16, bool, a 0-d int64 ``num_batches_tracked``, two
  ``nn.Parameter``), saved in the zip format of torch >= 1.6 and with
  ``_use_new_zipfile_serialization=False`` (the legacy format of the 2018 releases);
- ``nested_zip.pt`` / ``nested_legacy.pt``: U-GAT-IT-pytorch's layout, ``{'genA2B': state
  dict, 'genB2A': state dict}``, plus non-tensor leaves (``iteration``; ``meta``: a
  ``torch.Size``, a ``torch.device``, a dtype, bytes, a float);
- ``malicious.pth``: a pickle whose ``__reduce__`` calls ``os.system`` (harmless if loaded
  unsafely: it writes ``torch_files_payload_ran.txt`` in the working directory);
- ``namespace.pth``: a checkpoint that also pickles an ``argparse.Namespace`` (legacy
  format, as old training scripts saved their flags);
- ``model.pth``: a whole ``nn.Module`` pickled (``torch.save(model)``), not its state dict;
- ``expected.npz``: every tensor of the state and nested files as ``tensor.numpy()``
  (bfloat16 as float32, which holds it exactly), keyed ``state/<name>`` and
  ``nested/<net>.<name>``.
"""

import argparse
import collections
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
PAYLOAD_FILE = "torch_files_payload_ran.txt"


class Net(torch.nn.Module):
    """Conv, batch norm and linear: the layers a GAN checkpoint is made of."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)
        self.linear = torch.nn.Linear(5, 2)


def state_dict(seed):
    torch.manual_seed(seed)
    net = Net()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.dtype.is_floating_point:
                tensor.copy_(torch.randn(tensor.shape))
        net.bn.num_batches_tracked.fill_(seed + 3)
    return net.state_dict()


def full_state():
    state = state_dict(0)
    base = torch.randn(6, 5)
    # Views of one storage: torch saves the storage once; the reader must honour each
    # view's offset and strides.
    state["views.base"] = base
    state["views.transposed"] = base.t()
    state["views.tail"] = base.view(-1)[7:17]
    state["views.strided"] = base[1:, ::2]
    state["views.negated"] = torch.randn(3)._neg_view()  # saved with metadata {'neg': True}
    state["dtypes.float16"] = torch.randn(2, 3).half()
    state["dtypes.bfloat16"] = torch.randn(3, 2).bfloat16()
    state["dtypes.float64"] = torch.randn(4).double()
    state["dtypes.int32"] = torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3)
    state["dtypes.uint8"] = torch.arange(250, 256, dtype=torch.uint8)
    state["dtypes.uint16"] = torch.tensor([0, 1, 65535], dtype=torch.uint16)
    state["dtypes.bool"] = torch.tensor([[True, False], [False, True]])
    state["dtypes.empty"] = torch.zeros(0, 3)
    state["param"] = torch.nn.Parameter(torch.randn(3))
    with_state = torch.nn.Parameter(torch.randn(2))
    with_state.note = "an attribute"  # pickled with _rebuild_parameter_with_state
    state["param_with_state"] = with_state
    return state


class Payload:
    """Unpickled unsafely, runs a harmless shell command; our reader must refuse it."""

    def __reduce__(self):
        return (os.system, (f"echo payload > {PAYLOAD_FILE}",))


def expected_arrays(prefix, state):
    arrays = {}
    for name, tensor in state.items():
        tensor = tensor.detach().resolve_neg()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        arrays[f"{prefix}/{name}"] = tensor.numpy().copy()
    return arrays


def save(obj, name, legacy):
    path = os.path.join(OUT, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    state = full_state()
    save(state, "state_zip.pth", legacy=False)
    save(state, "state_legacy.pth", legacy=True)

    nets = collections.OrderedDict(genA2B=state_dict(1), genB2A=state_dict(2))
    # Non-tensor leaves as training scripts save them (flatten_state drops them).
    meta = {"size": torch.Size([2, 3]), "device": torch.device("cuda", 0),
            "dtype": torch.float16, "name": b"ugatit", "lr": 1e-4}
    nested = dict(nets, iteration=7, meta=meta)
    save(nested, "nested_zip.pt", legacy=False)
    save(nested, "nested_legacy.pt", legacy=True)

    save({"G": state_dict(3), "payload": Payload()}, "malicious.pth", legacy=False)
    save({"G": state_dict(4), "args": argparse.Namespace(lr=1e-4, batch_size=16)},
         "namespace.pth", legacy=True)
    save(Net(), "model.pth", legacy=False)

    arrays = expected_arrays("state", state)
    for net, net_state in nets.items():
        arrays.update(expected_arrays("nested", {f"{net}.{k}": v for k, v in net_state.items()}))
    path = os.path.join(OUT, "expected.npz")
    np.savez(path, **arrays)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(arrays)} arrays)")


if __name__ == "__main__":
    main()
