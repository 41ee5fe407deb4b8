"""Writes the parity fixtures of tests/porting/test_parity.py with the reference
implementations themselves: small networks of each official code, random weights (norm
scales and biases too), saved as that code saves them, in PyTorch's zip format and in the
legacy format of the 2018 releases, and their outputs on fixed inputs.

Needs torch (a throwaway venv, never the project's), the ``lpips`` package and checkouts of
the reference repos:

    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy lpips
    /tmp/torchvenv/bin/python tests/porting/make_parity_fixtures.py --stargan_repo=/path/to/yunjey/stargan \
        --ugatit_repo=/path/to/znxlwm/UGATIT-pytorch --sagan_repo=/path/to/elvisyjlin/SpatialAttentionGAN

Writes tests/porting/fixtures/stargan/: ``legacy/9-G.ckpt`` / ``legacy/9-D.ckpt`` (the legacy
format of the released models), ``zip/9-G.ckpt`` / ``zip/9-D.ckpt`` (current torch.save) and
``reference.npz`` (inputs and outputs, NHWC); tests/porting/fixtures/ugatit/:
``shapes_params_0000007.pt`` (UGATIT.py's layout: the six networks' state dicts; the
generators full at 32 px, the local discriminators at 32 px, the global ones at 128 px, which
their depth needs), ``light/shapes_params_0000007.pt`` (light generators only) and
``reference.npz``; tests/porting/fixtures/lpips/: ``lins.pth``
(LPIPS's linear layers), ``alexnet.pth`` (the backbone) and ``reference.npz`` (image pairs
and the ``lpips`` package's distances); tests/porting/fixtures/sagan/: ``legacy/0000480.G.pth``,
``legacy/0000480.D.pth``, ``zip/...`` (train.py's files: G holds the AMN and the SAN; the
fixed widths divided by 16, at 128 px), ``reference.npz`` (eval- and training-mode outputs)
and ``full_size_shapes.json`` (the official networks' key shapes at full width);
tests/porting/fixtures/cyclegan/: ``legacy/latest_net_{G_A,G_B,D_A,D_B}.pth``, ``zip/...``
(save_networks' files), ``old/horse2zebra.pth`` (a model-zoo style generator with the old
instance norms' running statistics) and ``reference.npz``; tests/porting/fixtures/drit/:
``legacy/00007.pth``, ``legacy/last.pth``, ``zip/...`` (model.py's save(): the eight networks,
their optimizers, ep, total_it; the fixed widths 64 and 256 at 2 and 8) and ``reference.npz``
(``--drit_repo=/path/to/HsinYingLee/DRIT``). One fixture alone:
``--only=cyclegan --cyclegan_repo=/path/to/junyanz/pytorch-CycleGAN-and-pix2pix``.
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


def cyclegan(repo, folder):
    """junyanz/pytorch-CycleGAN-and-pix2pix models/networks.py (loaded by path: the package's
    ``__init__`` imports the whole training code): ``ResnetGenerator`` (ngf 4, two residual
    blocks) for G_A and G_B, ``NLayerDiscriminator`` (ndf 4, 3 layers) for D_A and D_B, at 32
    px, with today's instance norm (``affine=False, track_running_stats=False``: no state),
    saved as ``save_networks`` saves them, ``latest_net_<name>.pth`` (plain state dicts).
    ``old/horse2zebra.pth``: G_A as the model zoo's generators were saved (PyTorch 0.3, legacy
    format, the instance norms' running statistics among the keys, which today's
    ``load_networks`` drops). Outputs in eval mode; without running statistics or dropout
    (CycleGAN's --no_dropout) training mode gives the same, which the writer checks."""
    import functools
    import importlib.util

    spec = importlib.util.spec_from_file_location("cyclegan_networks", os.path.join(repo, "models", "networks.py"))
    networks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(networks)
    norm = functools.partial(torch.nn.InstanceNorm2d, affine=False, track_running_stats=False)
    nets = {"G_A": networks.ResnetGenerator(3, 3, 4, norm_layer=norm, use_dropout=False, n_blocks=2),
            "G_B": networks.ResnetGenerator(3, 3, 4, norm_layer=norm, use_dropout=False, n_blocks=2),
            "D_A": networks.NLayerDiscriminator(3, 4, n_layers=3, norm_layer=norm),
            "D_B": networks.NLayerDiscriminator(3, 4, n_layers=3, norm_layer=norm)}
    generator = torch.Generator().manual_seed(21)
    real_a, real_b = (torch.rand(2, 3, 32, 32, generator=generator) * 2 - 1 for _ in range(2))
    # G_A translates A, G_B translates B; D_A judges domain B (backward_D_A: real_B and G_A's
    # fakes), D_B domain A.
    inputs = {"G_A": real_a, "G_B": real_b, "D_A": real_b, "D_B": real_a}
    outputs = {"real_a": nhwc(real_a), "real_b": nhwc(real_b)}
    for seed, (name, network) in enumerate(nets.items(), start=22):
        randomise(network, seed)
        with torch.no_grad():
            result = network.eval()(inputs[name])
            assert torch.equal(result, network.train()(inputs[name])), name
        outputs[name] = nhwc(result)
        save_both(network.state_dict(), folder, f"latest_net_{name}.pth")
    # The 2018 code's norm (its get_norm_layer: running statistics tracked) holding G_A's weights.
    old = networks.ResnetGenerator(3, 3, 4, norm_layer=networks.get_norm_layer("instance"), n_blocks=2)
    missing, unexpected = old.load_state_dict(nets["G_A"].state_dict(), strict=False)
    assert not unexpected and missing and all(k.endswith(("running_mean", "running_var", "num_batches_tracked"))
                                              for k in missing), missing
    with torch.no_grad():
        for key, tensor in old.state_dict().items():
            if key.endswith(("running_mean", "running_var")):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + (key.endswith("var")))
        assert torch.equal(old.train()(real_a), nets["G_A"](real_a))
    os.makedirs(os.path.join(folder, "old"), exist_ok=True)
    torch.save(old.state_dict(), os.path.join(folder, "old", "horse2zebra.pth"), _use_new_zipfile_serialization=False)
    np.savez(os.path.join(folder, "reference.npz"), **outputs)


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


SAGAN_WIDTH_DIVISOR = 16  # sagan.py's fixed widths (32 to 256 in G, 32 to 1024 in D) / 16


def narrow_torch_nn(divisor):
    """``torch.nn`` for a module whose widths are fixed: its convolutions' and norms'
    channel counts of 32 or more divided by ``divisor`` (image and mask channels kept)."""
    import types

    def narrow(channels):
        return channels // divisor if channels >= 32 else channels

    def convolution(layer):
        return lambda n_in, n_out, *args, **kwargs: layer(narrow(n_in), narrow(n_out), *args, **kwargs)

    def norm(layer):
        return lambda channels, *args, **kwargs: layer(narrow(channels), *args, **kwargs)

    shim = types.SimpleNamespace(**vars(torch.nn))
    shim.Conv2d, shim.ConvTranspose2d = convolution(torch.nn.Conv2d), convolution(torch.nn.ConvTranspose2d)
    shim.BatchNorm2d, shim.InstanceNorm2d = norm(torch.nn.BatchNorm2d), norm(torch.nn.InstanceNorm2d)
    return shim


def unit_gain(module):
    """Convolution weights rescaled to variance 1 / fan-in (after ``randomise``): activations
    stay near unit scale through sagan.py's fixed depth, so its tanh and sigmoid outputs are
    not saturated (a saturated output would hide a mapping error)."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                kh, kw = layer.kernel_size
                fan_in = layer.in_channels * kh * kw / (layer.stride[0] * layer.stride[1]
                                                        if isinstance(layer, torch.nn.ConvTranspose2d) else 1)
                layer.weight.mul_(1.0 / (layer.weight.std() * fan_in ** 0.5))


def sagan(repo, folder):
    """elvisyjlin/SpatialAttentionGAN sagan.py's ``Generator`` (AMN and SAN) and
    ``Discriminator``, built by that file's own classes with its fixed widths divided by 16
    (``narrow_torch_nn``: module names, keys and forward code unchanged; full width they
    would be 94 MB of float32), which are --g_conv_dim=2 and --d_conv_dim=2 with the fixed
    depths (4 residual blocks, 6 D convolutions) at 128 px (D's fixed 2x2 attribute kernel
    needs 128 px; G runs at 32 px). Saved as train.py saves them (``0000480.G.pth``,
    ``0000480.D.pth``: state dicts, numbered by images seen). Outputs in eval mode (test time:
    batch norms use their running statistics) and G's in training mode (batch statistics);
    D's attribute head before and after its sigmoid. ``full_size_shapes.json``: every key's
    shape at the official widths."""
    import copy
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("official_sagan", os.path.join(repo, "sagan.py"))
    official = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(official)
    full = {name: {key: list(tensor.shape) for key, tensor in network().state_dict().items()}
            for name, network in (("G", official.Generator), ("D", official.Discriminator))}
    with open(os.path.join(folder, "full_size_shapes.json"), "w") as handle:
        json.dump(full, handle, indent=0)
    official.nn = narrow_torch_nn(SAGAN_WIDTH_DIVISOR)
    try:
        generator, discriminator = official.Generator(), official.Discriminator()
    finally:
        official.nn = torch.nn
    for seed, network in ((20, generator), (21, discriminator)):
        randomise(network, seed)
        unit_gain(network)
    inputs = torch.Generator().manual_seed(22)
    small = torch.rand(2, 3, 32, 32, generator=inputs) * 2 - 1
    large = torch.rand(2, 3, 128, 128, generator=inputs) * 2 - 1
    attribute = torch.tensor([[1.0], [0.0]])
    name = "{:07}".format(480)  # train.py's '{:07}.G.pth'.format(cur_nimg): 10 cycles of 3 D steps x 16 images
    save_both(generator.state_dict(), folder, f"{name}.G.pth")
    save_both(discriminator.state_dict(), folder, f"{name}.D.pth")
    training = copy.deepcopy(generator).train()
    generator.eval()
    discriminator.eval()
    with torch.no_grad():
        translated, mask = generator(small, attribute)
        edited = generator.AMN(small, attribute)
        train_translated, train_mask = training(small, attribute)
        src, cls = discriminator(large)
        cls_logit = discriminator.cls[0](discriminator.conv(large)).reshape(-1, 1)
    np.savez(os.path.join(folder, "reference.npz"), small=nhwc(small), large=nhwc(large), attribute=attribute.numpy(),
             translated=nhwc(translated), mask=nhwc(mask), edited=nhwc(edited),
             train_translated=nhwc(train_translated), train_mask=nhwc(train_mask), src=nhwc(src), cls=cls.numpy(),
             cls_logit=cls_logit.numpy())


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


DRIT_CH = 2  # the fixture's width: the official 64 (and the content code's 256 = 4 x 64)
DRIT_WIDTHS = {"64": ("CH", 6), "256": ("(4 * CH)", 21)}  # hard-coded literal: (replacement, count)


def _narrow_drit(repo, ch):
    """HsinYingLee/DRIT's src/networks.py, imported as ``networks`` (for its model.py) with its
    hard-coded widths (the literals 64 and 256) at ``ch`` and 4 ``ch``: the official code at
    full width would make files of ~1 GB. Nothing else changes: every key, shape rule and
    layer order is the code's own."""
    import re
    import types

    path = os.path.join(repo, "src", "networks.py")
    source = open(path).read()
    for literal, (replacement, count) in DRIT_WIDTHS.items():
        source, made = re.subn(rf"(?<![\w.]){literal}(?![\w.])", replacement, source)
        assert made == count, (literal, made)
    module = types.ModuleType("networks")
    module.__file__ = path
    module.CH = ch
    exec(compile(source, path, "exec"), module.__dict__)
    sys.modules["networks"] = module
    sys.path.insert(0, os.path.join(repo, "src"))
    import model

    return module, model.DRIT


def drit(repo, folder):
    """HsinYingLee/DRIT (its networks at width 2, ``_narrow_drit``), saved by its own
    ``DRIT.save()``: ``00007.pth`` (``--concat=1``, ``--dis_scale=2``, ``--dis_spectral_norm``;
    ep 7, total_it 123; after one Adam step of enc_a's optimizer, so it holds optimizer state
    as a trained file does; the others' as built, to keep the file small) and ``last.pth``
    (``--concat=0``, ``--dis_scale=1``; ep 1199, total_it 50). Encoders and generators at
    32 px in eval mode (no content noise, as at test time), domain discriminators at 64 px,
    the content discriminator on a 54 x 54 code (216-px images'). Spectral norm: 300
    training-mode calls first (the power iteration converged, as after training); outputs in
    eval mode (its stored normalised weight) and then in training mode (one more power
    iteration from the stored u)."""
    import types

    networks, DRIT = _narrow_drit(repo, DRIT_CH)
    outputs = {}
    inputs = torch.Generator().manual_seed(20)
    small = torch.rand(2, 3, 32, 32, generator=inputs) * 2 - 1
    other = torch.rand(2, 3, 32, 32, generator=inputs) * 2 - 1
    large = torch.rand(2, 3, 64, 64, generator=inputs) * 2 - 1
    code = torch.randn(1, 4 * DRIT_CH, 54, 54, generator=inputs)
    z = torch.randn(2, 8, generator=inputs)
    outputs.update(image_a=nhwc(small), image_b=nhwc(other), large=nhwc(large), code=nhwc(code), z=z.numpy())
    for concat, dis_scale, spectral, name, ep, total_it in ((1, 2, True, "00007.pth", 7, 123),
                                                           (0, 1, False, "last.pth", 1199, 50)):
        opts = types.SimpleNamespace(concat=concat, no_ms=True, dis_scale=dis_scale, dis_norm="None",
                                     dis_spectral_norm=spectral, input_dim_a=3, input_dim_b=3)
        model = DRIT(opts)
        model.initialize()
        generator = torch.Generator().manual_seed(30 + concat)
        for optimizer in (model.enc_a_opt,) if concat else ():
            for group in optimizer.param_groups:
                for parameter in group["params"]:
                    parameter.grad = torch.randn(parameter.shape, generator=generator) * 0.01
            optimizer.step()
        parts = ("disA", "disA2", "disB", "disB2", "disContent", "enc_c", "enc_a", "gen")
        for seed, part in enumerate(parts, start=40 + 10 * concat):
            randomise(getattr(model, part), seed)
        if spectral:
            with torch.no_grad():
                for part in ("disA", "disA2", "disB", "disB2"):
                    getattr(model, part).train()
                    for _ in range(300):
                        getattr(model, part)(large)
        model.eval()
        saved, original = {}, torch.save
        torch.save = lambda state, filename: saved.update(state=state)  # model.save()'s dict, in both formats
        try:
            model.save(name, ep, total_it)
        finally:
            torch.save = original
        save_both(saved["state"], folder, name)
        prefix = f"concat{concat}"
        with torch.no_grad():
            if concat:
                content_a, content_b = model.enc_c.forward_a(small), model.enc_c.forward_b(other)
                outputs.update({f"{prefix}_content_a": nhwc(content_a), f"{prefix}_content_b": nhwc(content_b)})
            else:
                content_a, content_b = (torch.randn(2, 4 * DRIT_CH, 8, 8, generator=inputs) for _ in "ab")
                outputs.update({f"{prefix}_content_a": nhwc(content_a), f"{prefix}_content_b": nhwc(content_b)})
            for domain, image in (("a", small), ("b", other)):
                attribute = getattr(model.enc_a, f"forward_{domain}")(image)
                attribute = attribute if isinstance(attribute, tuple) else (attribute,)
                outputs.update({f"{prefix}_attribute_{domain}_{i}": t.numpy() for i, t in enumerate(attribute)})
            outputs[f"{prefix}_fake_a"] = nhwc(model.gen.forward_a(content_b, z))
            outputs[f"{prefix}_fake_b"] = nhwc(model.gen.forward_b(content_a, z))
            for part in ("disA", "disA2", "disB", "disB2"):
                for mode in ("eval", "train") if spectral else ("eval",):
                    getattr(model, part).train(mode == "train")
                    for i, logits in enumerate(getattr(model, part)(large)):
                        outputs[f"{prefix}_{part}_{mode}_{i}"] = logits.reshape(2, -1).numpy()
            if concat:
                outputs[f"{prefix}_disContent"] = model.disContent(code)[0].numpy()
    np.savez(os.path.join(folder, "reference.npz"), **outputs)


# name: (writer(repo, folder), the flag naming the reference checkout it needs, or None).
WRITERS = {
    "stargan": (stargan, "--stargan_repo"),
    "ugatit": (ugatit, "--ugatit_repo"),
    "sagan": (sagan, "--sagan_repo"),
    "cyclegan": (cyclegan, "--cyclegan_repo"),
    "drit": (drit, "--drit_repo"),
    "lpips": (lambda repo, folder: lpips_fixture(folder), None),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stargan_repo", help="a checkout of yunjey/stargan")
    parser.add_argument("--ugatit_repo", help="a checkout of znxlwm/UGATIT-pytorch")
    parser.add_argument("--sagan_repo", help="a checkout of elvisyjlin/SpatialAttentionGAN")
    parser.add_argument("--cyclegan_repo", help="a checkout of junyanz/pytorch-CycleGAN-and-pix2pix")
    parser.add_argument("--drit_repo", help="a checkout of HsinYingLee/DRIT")
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
