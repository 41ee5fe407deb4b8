"""Writes the parity fixtures of tests/porting/test_parity.py with the reference
implementations themselves: small networks of each official code, random weights (norm
scales and biases too), saved as that code saves them, in PyTorch's zip format and in the
legacy format of the 2018 releases, and their outputs on fixed inputs.

Needs torch (a throwaway venv, never the project's), the ``lpips`` package and checkouts of
the reference repos:

    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy lpips
    /tmp/torchvenv/bin/python tests/porting/make_parity_fixtures.py --stargan_repo=/path/to/yunjey/stargan \
        --ugatit_repo=/path/to/znxlwm/UGATIT-pytorch

Writes tests/porting/fixtures/stargan/: ``legacy/9-G.ckpt`` / ``legacy/9-D.ckpt`` (the legacy
format of the released models), ``zip/9-G.ckpt`` / ``zip/9-D.ckpt`` (current torch.save) and
``reference.npz`` (inputs and outputs, NHWC); tests/porting/fixtures/ugatit/:
``shapes_params_0000007.pt`` (UGATIT.py's layout: the six networks' state dicts; the
generators full at 32 px, the local discriminators at 32 px, the global ones at 128 px, which
their depth needs), ``light/shapes_params_0000007.pt`` (light generators only) and
``reference.npz``; tests/porting/fixtures/lpips/: ``lins.pth``
(LPIPS's linear layers), ``alexnet.pth`` (the backbone) and ``reference.npz`` (image pairs
and the ``lpips`` package's distances).
"""

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def randomise(module, seed):
    """Every parameter and buffer drawn at random (norm scales around 1): a mapping that
    swaps two scales or drops a bias shows in the outputs."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.randn(tensor.shape, generator=generator) * 0.2
                tensor.copy_(values + 1.0 if name.endswith(("norm.weight", "running_var")) or
                             (tensor.dim() == 1 and name.endswith("weight")) else values)


def save_both(state, folder, name):
    """``legacy/<name>`` in the format of the 2018 releases, ``zip/<name>`` as torch saves now."""
    for form in ("legacy", "zip"):
        os.makedirs(os.path.join(folder, form), exist_ok=True)
        torch.save(state, os.path.join(folder, form, name), _use_new_zipfile_serialization=form == "zip")


def nhwc(tensor):
    return tensor.detach().numpy().transpose(0, 2, 3, 1)


def stargan(repo, folder):
    """yunjey/stargan model.py: G(conv_dim 4, c_dim 3, repeat_num 1), D(image 32, conv_dim 8,
    c_dim 3, repeat_num 3). G runs in training mode: the official code never calls eval(),
    so its instance norms always use each image's statistics."""
    sys.path.insert(0, repo)
    from model import Discriminator, Generator

    generator, discriminator = Generator(4, 3, 1), Discriminator(32, 8, 3, 3)
    randomise(generator, 1)
    randomise(discriminator, 2)
    inputs = torch.Generator().manual_seed(3)
    x = torch.rand(2, 3, 32, 32, generator=inputs) * 2 - 1
    c = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    with torch.no_grad():
        translated = generator(x, c)
        src, cls = discriminator(x)
    save_both(generator.state_dict(), folder, "9-G.ckpt")
    save_both(discriminator.state_dict(), folder, "9-D.ckpt")
    np.savez(os.path.join(folder, "reference.npz"), image=nhwc(x), label=c.numpy(), translated=nhwc(translated),
             src=nhwc(src), cls=cls.numpy())


NARROW_ALEXNET = (8, 16, 16, 12, 12)  # AlexNet's layout at a fixture's size (64, 192, 384, 256, 256)


def ugatit(repo, folder):
    """znxlwm/UGATIT-pytorch networks.py: generators (ngf 4, one residual block, full and
    light at 32 px), local discriminators (ndf 4, 5 layers, 32 px), global ones (ndf 1, 7
    layers, 128 px); evaluated in eval mode (spectral norm then uses its stored vectors, as
    at test time). Rho is drawn in [0, 1] (the official clipper's range)."""
    sys.path.insert(0, repo)
    from networks import Discriminator, ResnetGenerator

    outputs, params = {}, {}
    small = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(6)) * 2 - 1
    large = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(7)) * 2 - 1
    outputs.update(small=nhwc(small), large=nhwc(large))
    for light in (False, True):
        networks = {"genA2B": ResnetGenerator(3, 3, 4, 1, 32, light), "genB2A": ResnetGenerator(3, 3, 4, 1, 32, light)}
        if not light:  # the light file holds the generators only (as a generator-only import)
            networks.update(disGA=Discriminator(3, 1, 7), disGB=Discriminator(3, 1, 7), disLA=Discriminator(3, 4, 5),
                            disLB=Discriminator(3, 4, 5))
        for seed, (name, network) in enumerate(networks.items(), start=10):
            randomise(network, seed + 10 * light)
            with torch.no_grad():
                for key, tensor in network.state_dict().items():
                    if key.endswith("rho"):
                        tensor.uniform_(0.0, 1.0)
            inputs = large if name.startswith("disG") else small
            if name.startswith("dis"):
                # One training-mode call runs spectral norm's power iteration, as training
                # leaves it: u and v unit vectors (random ones would not be a checkpoint's).
                with torch.no_grad():
                    network.train()(inputs)
            network.eval()
            with torch.no_grad():
                results = network(inputs)
            prefix = f"{'light_' if light else ''}{name}"
            outputs.update({f"{prefix}_{i}": r.numpy() if r.dim() == 2 else nhwc(r) for i, r in enumerate(results)})
            params[name] = network.state_dict()
        target = os.path.join(folder, "light" if light else "", "shapes_params_0000007.pt")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        torch.save(params, target)
        params = {}
    np.savez(os.path.join(folder, "reference.npz"), **outputs)


class AlexNet(torch.nn.Module):
    """torchvision's AlexNet ``features`` layout, which LPIPS slices at the ReLUs, at the
    fixture's widths: the ``lpips`` package imports torchvision only to build it, and
    torchvision's wheels do not load against a CPU-only torch here."""

    def __init__(self, **unused):
        super().__init__()
        nn, (c1, c2, c3, c4, c5) = torch.nn, NARROW_ALEXNET
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))


def lpips_fixture(folder):
    """The ``lpips`` package's LPIPS (v0.1, AlexNet) with a random narrow backbone and
    random positive linear weights (its linear layers rebuilt at the narrow widths with its
    own ``NetLinLayer``); its distances of random image pairs at 64 px."""
    import types

    sys.modules["torchvision"] = types.ModuleType("torchvision")
    sys.modules["torchvision"].models = types.SimpleNamespace(alexnet=AlexNet)
    import lpips

    torch.manual_seed(4)
    metric = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=True, verbose=False)
    for index, width in enumerate(NARROW_ALEXNET):
        setattr(metric, f"lin{index}", lpips.NetLinLayer(width, use_dropout=True))
    metric.lins = torch.nn.ModuleList([getattr(metric, f"lin{index}") for index in range(5)])
    metric.eval()
    with torch.no_grad():
        for lin in metric.lins:
            lin.model[1].weight.uniform_(0.0, 0.1)
    backbone = AlexNet()
    for slice_index in range(1, 6):
        for name, parameter in getattr(metric.net, f"slice{slice_index}").named_parameters():
            backbone.features.state_dict()[name].copy_(parameter)
    torch.save(backbone.state_dict(), os.path.join(folder, "alexnet.pth"))
    # The layout of the package's weights/v0.1/alex.pth: lin<k>.model.1.weight.
    torch.save({k: v for k, v in metric.state_dict().items() if k.startswith("lin") and not k.startswith("lins.")},
               os.path.join(folder, "lins.pth"))
    generator = torch.Generator().manual_seed(5)
    a, b = (torch.rand(2, 3, 64, 64, generator=generator) * 2 - 1 for _ in range(2))
    with torch.no_grad():
        distance = metric(a, b).reshape(-1)
    np.savez(os.path.join(folder, "reference.npz"), a=nhwc(a), b=nhwc(b), distance=distance.numpy())


# name: (writer(repo, folder), the flag naming the reference checkout it needs, or None).
WRITERS = {
    "stargan": (stargan, "--stargan_repo"),
    "ugatit": (ugatit, "--ugatit_repo"),
    "lpips": (lambda repo, folder: lpips_fixture(folder), None),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stargan_repo", help="a checkout of yunjey/stargan")
    parser.add_argument("--ugatit_repo", help="a checkout of znxlwm/UGATIT-pytorch")
    parser.add_argument("--only", default=",".join(WRITERS), help="comma-separated fixture names to write")
    args = parser.parse_args()
    for name in args.only.split(","):
        write, repo_flag = WRITERS[name]
        repo = getattr(args, repo_flag[2:]) if repo_flag else None
        if repo_flag and not repo:
            parser.error(f"{name} needs {repo_flag}")
        folder = os.path.join(HERE, "fixtures", name)
        os.makedirs(folder, exist_ok=True)
        write(repo, folder)
        for root, _, files in sorted(os.walk(folder)):
            for file in sorted(files):
                print(f"{os.path.join(root, file)}: {os.path.getsize(os.path.join(root, file))} bytes")


if __name__ == "__main__":
    main()
