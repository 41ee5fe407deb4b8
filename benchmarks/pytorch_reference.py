"""PyTorch reference training iterations for ``benchmarks/vs_pytorch.py``: StarGAN, U-GAT-IT
light, CycleGAN, DRIT (``drit``; ``drit_ms`` with DRIT++'s mode seeking) and SaGAN as their
official codes train them, written here from the papers' published architectures and the
official train steps (``yunjey/stargan`` ``model.py`` / ``solver.py``;
``znxlwm/UGATIT-pytorch`` ``networks.py`` / ``UGATIT.py``;
``junyanz/pytorch-CycleGAN-and-pix2pix`` ``resnet_9blocks``, ``basic`` PatchGAN,
``cycle_gan_model.py``, ``image_pool.py``; ``HsinYingLee/DRIT`` ``networks.py`` /
``model.py``; ``elvisyjlin/SpatialAttentionGAN`` ``sagan.py`` / ``train.py``).

It runs under a separate Python that has torch (never the project's environment; the project
does not import torch). After building, it prints ``ready {"torch": version, "parameters":
{network: trainable parameters}}``; then every line ``step`` on stdin runs one training
iteration on fixed random inputs and prints ``{<part>: s, ..., "total": s, "cpu": s}``
(JSON: wall-clock seconds, and the process's CPU seconds over all its threads); end of input
ends it.

``--lean`` drops the work the official steps do whose result is thrown away: gradients of
the networks a step does not update (the StarGAN and U-GAT-IT G steps also fill D's
gradients; U-GAT-IT's D step back-propagates into both generators, its fakes not being
detached). CycleGAN's and SaGAN's official steps already avoid both.
"""

import argparse
import functools
import json
import random
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


# ---- StarGAN (Choi et al. 2018; appendix Table 4, official model.py) -------------------
def stargan_norm(channels):
    return nn.InstanceNorm2d(channels, affine=True, track_running_stats=True)


class Residual(nn.Module):
    """x + body(x)."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class StarGANGenerator(nn.Module):
    """c7s1-64, d128, d256, repeat_num x R256 (zero padding), u128, u64 (4x4 stride-2
    transposed convs), c7s1-3 + tanh; no biases, affine instance norm."""

    def __init__(self, conv_dim, c_dim, repeat_num):
        super().__init__()
        layers = [nn.Conv2d(3 + c_dim, conv_dim, 7, 1, 3, bias=False), stargan_norm(conv_dim), nn.ReLU(inplace=True)]
        dim = conv_dim
        for _ in range(2):
            layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1, bias=False), stargan_norm(dim * 2), nn.ReLU(inplace=True)]
            dim *= 2
        for _ in range(repeat_num):
            layers.append(Residual(nn.Sequential(
                nn.Conv2d(dim, dim, 3, 1, 1, bias=False), stargan_norm(dim), nn.ReLU(inplace=True),
                nn.Conv2d(dim, dim, 3, 1, 1, bias=False), stargan_norm(dim))))
        for _ in range(2):
            layers += [nn.ConvTranspose2d(dim, dim // 2, 4, 2, 1, bias=False), stargan_norm(dim // 2),
                       nn.ReLU(inplace=True)]
            dim //= 2
        layers += [nn.Conv2d(dim, 3, 7, 1, 3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x, c):
        c = c.view(c.size(0), c.size(1), 1, 1).repeat(1, 1, x.size(2), x.size(3))
        return self.main(torch.cat([x, c], dim=1))


class StarGANDiscriminator(nn.Module):
    """repeat_num 4x4 stride-2 convs + LeakyReLU 0.01; D_src 3x3 to one channel, D_cls a
    conv covering the remaining map."""

    def __init__(self, image_size, conv_dim, c_dim, repeat_num):
        super().__init__()
        layers = [nn.Conv2d(3, conv_dim, 4, 2, 1), nn.LeakyReLU(0.01)]
        dim = conv_dim
        for _ in range(1, repeat_num):
            layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1), nn.LeakyReLU(0.01)]
            dim *= 2
        self.main = nn.Sequential(*layers)
        self.src = nn.Conv2d(dim, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(dim, c_dim, image_size // 2 ** repeat_num, bias=False)

    def forward(self, x):
        h = self.main(x)
        return self.src(h), self.cls(h).view(h.size(0), -1)


class StarGANStep:
    """solver.py's iteration with n_critic reached: D (real, fake, WGAN-GP through
    ``autograd.grad(create_graph=True)``, classification), then G (adversarial,
    classification, reconstruction)."""

    def __init__(self, args):
        self.lean = args.lean
        c_dim = 5
        self.G = StarGANGenerator(args.conv_dim, c_dim, args.repeat_num)
        self.D = StarGANDiscriminator(args.image_size, args.conv_dim, c_dim, args.repeat_num)
        self.g_optimizer = torch.optim.Adam(self.G.parameters(), 1e-4, betas=(0.5, 0.999))
        self.d_optimizer = torch.optim.Adam(self.D.parameters(), 1e-4, betas=(0.5, 0.999))
        batch = args.batch_size
        self.x_real = torch.rand(batch, 3, args.image_size, args.image_size) * 2 - 1
        self.label_org = torch.randint(0, 2, (batch, c_dim)).float()
        self.label_trg = self.label_org[torch.randperm(batch)]
        self.networks = {"generator": self.G, "discriminator": self.D}

    def reset_grad(self):
        self.g_optimizer.zero_grad()
        self.d_optimizer.zero_grad()

    def discriminator(self):
        x_real, batch = self.x_real, self.x_real.size(0)
        out_src, out_cls = self.D(x_real)
        d_loss_real = -torch.mean(out_src)
        d_loss_cls = F.binary_cross_entropy_with_logits(out_cls, self.label_org, reduction="sum") / batch
        x_fake = self.G(x_real, self.label_trg)
        out_src, _ = self.D(x_fake.detach())
        d_loss_fake = torch.mean(out_src)
        alpha = torch.rand(batch, 1, 1, 1)
        x_hat = (alpha * x_real.data + (1 - alpha) * x_fake.data).requires_grad_(True)
        out_src, _ = self.D(x_hat)
        dydx = torch.autograd.grad(out_src, x_hat, torch.ones_like(out_src), retain_graph=True, create_graph=True)[0]
        d_loss_gp = torch.mean((torch.sqrt(torch.sum(dydx.view(batch, -1) ** 2, dim=1)) - 1) ** 2)
        d_loss = d_loss_real + d_loss_fake + d_loss_cls + 10 * d_loss_gp
        self.reset_grad()
        d_loss.backward()
        self.d_optimizer.step()
        return d_loss.item()

    def generator(self):
        self.D.requires_grad_(not self.lean)
        x_fake = self.G(self.x_real, self.label_trg)
        out_src, out_cls = self.D(x_fake)
        g_loss_fake = -torch.mean(out_src)
        g_loss_cls = F.binary_cross_entropy_with_logits(out_cls, self.label_trg, reduction="sum") / x_fake.size(0)
        x_reconst = self.G(x_fake, self.label_org)
        g_loss_rec = torch.mean(torch.abs(self.x_real - x_reconst))
        g_loss = g_loss_fake + 10 * g_loss_rec + g_loss_cls
        self.reset_grad()
        g_loss.backward()
        self.g_optimizer.step()
        self.D.requires_grad_(True)
        return g_loss.item()

    parts = ("discriminator", "generator")


# ---- U-GAT-IT (Kim et al. 2020; official networks.py, light variant) ---------------------
def reflect_conv(in_channels, out_channels, kernel, stride=1, bias=False):
    return [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(in_channels, out_channels, kernel, stride, 0, bias=bias)]


class UGATITResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.body = nn.Sequential(*reflect_conv(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
                                  *reflect_conv(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.body(x)


def layer_instance_norm(x, rho, eps=1e-5):
    """rho * IN(x) + (1 - rho) * LN(x), unbiased variances (torch.var) as the official code."""
    out_in = (x - x.mean(dim=[2, 3], keepdim=True)) / torch.sqrt(x.var(dim=[2, 3], keepdim=True) + eps)
    out_ln = (x - x.mean(dim=[1, 2, 3], keepdim=True)) / torch.sqrt(x.var(dim=[1, 2, 3], keepdim=True) + eps)
    rho = rho.expand(x.size(0), -1, -1, -1)
    return rho * out_in + (1 - rho) * out_ln


class AdaILN(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.rho = nn.Parameter(torch.full((1, channels, 1, 1), 0.9))

    def forward(self, x, gamma, beta):
        return layer_instance_norm(x, self.rho) * gamma[:, :, None, None] + beta[:, :, None, None]


class ILN(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.rho = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.gamma = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return layer_instance_norm(x, self.rho) * self.gamma + self.beta


class AdaILNResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv1, self.norm1 = nn.Sequential(*reflect_conv(dim, dim, 3)), AdaILN(dim)
        self.conv2, self.norm2 = nn.Sequential(*reflect_conv(dim, dim, 3)), AdaILN(dim)

    def forward(self, x, gamma, beta):
        out = F.relu(self.norm1(self.conv1(x), gamma, beta))
        return x + self.norm2(self.conv2(out), gamma, beta)


def cam(x, gap_fc, gmp_fc, conv1x1, activation):
    """CAM attention: logits of the pooled maps; channels re-weighted by each classifier's
    weight (``list(fc.parameters())[0]``, spectral norm's ``weight_orig`` in D), fused."""
    gap_logit = gap_fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
    gmp_logit = gmp_fc(F.adaptive_max_pool2d(x, 1).flatten(1))
    gap = x * next(gap_fc.parameters())[0][None, :, None, None]
    gmp = x * next(gmp_fc.parameters())[0][None, :, None, None]
    x = activation(conv1x1(torch.cat([gap, gmp], 1)))
    return x, torch.cat([gap_logit, gmp_logit], 1), torch.sum(x, dim=1, keepdim=True)


class UGATITGenerator(nn.Module):
    def __init__(self, ngf=64, n_blocks=4):
        super().__init__()
        down = [*reflect_conv(3, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            down += [*reflect_conv(ngf * mult, ngf * mult * 2, 3, stride=2), nn.InstanceNorm2d(ngf * mult * 2),
                     nn.ReLU(True)]
        dim = ngf * 4
        down += [UGATITResidual(dim) for _ in range(n_blocks)]
        self.down = nn.Sequential(*down)
        self.gap_fc, self.gmp_fc = nn.Linear(dim, 1, bias=False), nn.Linear(dim, 1, bias=False)
        self.conv1x1 = nn.Conv2d(dim * 2, dim, 1, 1, bias=True)
        # The light variant's MLP reads the global average pool of the attended features.
        self.fc = nn.Sequential(nn.Linear(dim, dim, bias=False), nn.ReLU(True), nn.Linear(dim, dim, bias=False),
                                nn.ReLU(True))
        self.gamma, self.beta = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)
        self.up1 = nn.ModuleList([AdaILNResidual(dim) for _ in range(n_blocks)])
        up2 = []
        for _ in range(2):
            up2 += [nn.Upsample(scale_factor=2, mode="nearest"), *reflect_conv(dim, dim // 2, 3), ILN(dim // 2),
                    nn.ReLU(True)]
            dim //= 2
        up2 += [*reflect_conv(ngf, 3, 7), nn.Tanh()]
        self.up2 = nn.Sequential(*up2)

    def forward(self, x):
        x, cam_logit, heatmap = cam(self.down(x), self.gap_fc, self.gmp_fc, self.conv1x1, F.relu)
        h = self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
        gamma, beta = self.gamma(h), self.beta(h)
        for block in self.up1:
            x = block(x, gamma, beta)
        return self.up2(x), cam_logit, heatmap


class UGATITDiscriminator(nn.Module):
    """Spectrally normalised 4x4 convs after reflection padding 1; 7 layers global, 5 local."""

    def __init__(self, ndf=64, n_layers=7):
        super().__init__()
        sn = nn.utils.spectral_norm

        def conv(i, o, stride, bias=True):
            return [nn.ReflectionPad2d(1), sn(nn.Conv2d(i, o, 4, stride, 0, bias=bias))]

        layers = [*conv(3, ndf, 2), nn.LeakyReLU(0.2, True)]
        for i in range(1, n_layers - 2):
            mult = 2 ** (i - 1)
            layers += [*conv(ndf * mult, ndf * mult * 2, 2), nn.LeakyReLU(0.2, True)]
        mult = 2 ** (n_layers - 3)
        layers += [*conv(ndf * mult, ndf * mult * 2, 1), nn.LeakyReLU(0.2, True)]
        self.model = nn.Sequential(*layers)
        dim = ndf * mult * 2
        self.gap_fc, self.gmp_fc = sn(nn.Linear(dim, 1, bias=False)), sn(nn.Linear(dim, 1, bias=False))
        self.conv1x1 = nn.Conv2d(dim * 2, dim, 1, 1, bias=True)
        self.conv = nn.Sequential(*conv(dim, 1, 1, bias=False))

    def forward(self, x):
        x, cam_logit, heatmap = cam(self.model(x), self.gap_fc, self.gmp_fc, self.conv1x1,
                                    lambda y: F.leaky_relu(y, 0.2))
        return self.conv(x), cam_logit, heatmap


class UGATITStep:
    """UGATIT.py's iteration: D update (fakes not detached, as the official code), G update,
    rho clipped to [0, 1]. Adam 1e-4 (0.5, 0.999), weight decay 1e-4; weights adv 1, cycle
    10, identity 10, cam 1000."""

    def __init__(self, args):
        self.lean = args.lean
        self.gen_a2b = UGATITGenerator(args.conv_dim, args.repeat_num)
        self.gen_b2a = UGATITGenerator(args.conv_dim, args.repeat_num)
        self.dis_ga, self.dis_gb = UGATITDiscriminator(args.conv_dim, 7), UGATITDiscriminator(args.conv_dim, 7)
        self.dis_la, self.dis_lb = UGATITDiscriminator(args.conv_dim, 5), UGATITDiscriminator(args.conv_dim, 5)
        generators = [self.gen_a2b, self.gen_b2a]
        self.discriminators = [self.dis_ga, self.dis_gb, self.dis_la, self.dis_lb]
        options = dict(lr=1e-4, betas=(0.5, 0.999), weight_decay=1e-4)
        self.g_optim = torch.optim.Adam([p for g in generators for p in g.parameters()], **options)
        self.d_optim = torch.optim.Adam([p for d in self.discriminators for p in d.parameters()], **options)
        shape = (args.batch_size, 3, args.image_size, args.image_size)
        self.real_a, self.real_b = torch.rand(shape) * 2 - 1, torch.rand(shape) * 2 - 1
        self.networks = {"generator_a2b": self.gen_a2b, "disc_global_a": self.dis_ga, "disc_local_a": self.dis_la}

    @staticmethod
    def mse(x, target):
        return F.mse_loss(x, torch.full_like(x, target))

    @staticmethod
    def bce(x, target):
        return F.binary_cross_entropy_with_logits(x, torch.full_like(x, target))

    def discriminator(self):
        self.d_optim.zero_grad()
        fake_a2b, _, _ = self.gen_a2b(self.real_a)
        fake_b2a, _, _ = self.gen_b2a(self.real_b)
        if self.lean:
            fake_a2b, fake_b2a = fake_a2b.detach(), fake_b2a.detach()
        loss = 0
        for d, real, fake in ((self.dis_ga, self.real_a, fake_b2a), (self.dis_la, self.real_a, fake_b2a),
                              (self.dis_gb, self.real_b, fake_a2b), (self.dis_lb, self.real_b, fake_a2b)):
            real_logit, real_cam, _ = d(real)
            fake_logit, fake_cam, _ = d(fake)
            loss = loss + (self.mse(real_logit, 1) + self.mse(fake_logit, 0)
                           + self.mse(real_cam, 1) + self.mse(fake_cam, 0))
        loss.backward()
        self.d_optim.step()
        return loss.item()

    def generator(self):
        for d in self.discriminators:
            d.requires_grad_(not self.lean)
        self.g_optim.zero_grad()
        fake_a2b, fake_a2b_cam, _ = self.gen_a2b(self.real_a)
        fake_b2a, fake_b2a_cam, _ = self.gen_b2a(self.real_b)
        fake_a2b2a, _, _ = self.gen_b2a(fake_a2b)
        fake_b2a2b, _, _ = self.gen_a2b(fake_b2a)
        fake_a2a, fake_a2a_cam, _ = self.gen_b2a(self.real_a)
        fake_b2b, fake_b2b_cam, _ = self.gen_a2b(self.real_b)
        adv = 0
        for d, fake in ((self.dis_ga, fake_b2a), (self.dis_la, fake_b2a), (self.dis_gb, fake_a2b),
                        (self.dis_lb, fake_a2b)):
            logit, cam_logit, _ = d(fake)
            adv = adv + self.mse(logit, 1) + self.mse(cam_logit, 1)
        loss = (adv + 10 * (F.l1_loss(fake_a2b2a, self.real_a) + F.l1_loss(fake_b2a2b, self.real_b))
                + 10 * (F.l1_loss(fake_a2a, self.real_a) + F.l1_loss(fake_b2b, self.real_b))
                + 1000 * (self.bce(fake_b2a_cam, 1) + self.bce(fake_a2a_cam, 0) + self.bce(fake_a2b_cam, 1)
                          + self.bce(fake_b2b_cam, 0)))
        loss.backward()
        self.g_optim.step()
        with torch.no_grad():  # RhoClipper(0, 1)
            for g in (self.gen_a2b, self.gen_b2a):
                for module in g.modules():
                    if isinstance(module, (AdaILN, ILN)):
                        module.rho.clamp_(0, 1)
        for d in self.discriminators:
            d.requires_grad_(True)
        return loss.item()

    parts = ("discriminator", "generator")


# ---- CycleGAN (Zhu et al. 2017; resnet_9blocks, basic 70x70 PatchGAN, instance norm) -----
class CycleGANResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.body = nn.Sequential(*reflect_conv(dim, dim, 3, bias=True), nn.InstanceNorm2d(dim), nn.ReLU(True),
                                  *reflect_conv(dim, dim, 3, bias=True), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.body(x)


def cyclegan_generator(ngf=64, n_blocks=9):
    layers = [*reflect_conv(3, ngf, 7, bias=True), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
    dim = ngf
    for _ in range(2):
        layers += [nn.Conv2d(dim, dim * 2, 3, 2, 1, bias=True), nn.InstanceNorm2d(dim * 2), nn.ReLU(True)]
        dim *= 2
    layers += [CycleGANResidual(dim) for _ in range(n_blocks)]
    for _ in range(2):
        layers += [nn.ConvTranspose2d(dim, dim // 2, 3, 2, 1, output_padding=1, bias=True),
                   nn.InstanceNorm2d(dim // 2), nn.ReLU(True)]
        dim //= 2
    layers += [*reflect_conv(ngf, 3, 7, bias=True), nn.Tanh()]
    return nn.Sequential(*layers)


def patchgan_discriminator(ndf=64, n_layers=3):
    layers = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    for n in range(1, n_layers + 1):
        stride = 2 if n < n_layers else 1
        layers += [nn.Conv2d(ndf * min(2 ** (n - 1), 8), ndf * min(2 ** n, 8), 4, stride, 1, bias=True),
                   nn.InstanceNorm2d(ndf * min(2 ** n, 8)), nn.LeakyReLU(0.2, True)]
    layers.append(nn.Conv2d(ndf * min(2 ** n_layers, 8), 1, 4, 1, 1))
    return nn.Sequential(*layers)


def normal_init(module):
    """``--init_type normal --init_gain 0.02``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        nn.init.zeros_(module.bias)


class ImagePool:
    """util/image_pool.py: until full store and return; then with probability 1/2 return a
    stored image and store the new one in its place."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        returned = []
        for image in images.data:
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                returned.append(image)
            elif random.uniform(0, 1) > 0.5:
                slot = random.randint(0, self.size - 1)
                returned.append(self.images[slot].clone())
                self.images[slot] = image
            else:
                returned.append(image)
        return torch.cat(returned, 0)


class CycleGANStep:
    """cycle_gan_model.py's ``optimize_parameters``: forward, G update (D frozen; LSGAN,
    cycle 10, identity 0.5 x 10), then D update (0.5 * (real + pooled fake)). Adam 2e-4
    (0.5, 0.999)."""

    def __init__(self, args):
        self.net_g_a = cyclegan_generator(args.conv_dim, args.repeat_num)
        self.net_g_b = cyclegan_generator(args.conv_dim, args.repeat_num)
        self.net_d_a, self.net_d_b = patchgan_discriminator(args.conv_dim), patchgan_discriminator(args.conv_dim)
        for net in (self.net_g_a, self.net_g_b, self.net_d_a, self.net_d_b):
            net.apply(normal_init)
        options = dict(lr=2e-4, betas=(0.5, 0.999))
        self.optimizer_g = torch.optim.Adam([*self.net_g_a.parameters(), *self.net_g_b.parameters()], **options)
        self.optimizer_d = torch.optim.Adam([*self.net_d_a.parameters(), *self.net_d_b.parameters()], **options)
        self.pool_a, self.pool_b = ImagePool(), ImagePool()
        shape = (args.batch_size, 3, args.image_size, args.image_size)
        self.real_a, self.real_b = torch.rand(shape) * 2 - 1, torch.rand(shape) * 2 - 1
        self.networks = {"generator_a2b": self.net_g_a, "disc_a": self.net_d_a}

    @staticmethod
    def gan(prediction, target):
        return F.mse_loss(prediction, torch.full_like(prediction, target))

    def generator(self):
        real_a, real_b = self.real_a, self.real_b
        self.fake_b = self.net_g_a(real_a)
        rec_a = self.net_g_b(self.fake_b)
        self.fake_a = self.net_g_b(real_b)
        rec_b = self.net_g_a(self.fake_a)
        for d in (self.net_d_a, self.net_d_b):
            d.requires_grad_(False)
        self.optimizer_g.zero_grad()
        loss_idt = (F.l1_loss(self.net_g_a(real_b), real_b) + F.l1_loss(self.net_g_b(real_a), real_a)) * 10 * 0.5
        loss = (self.gan(self.net_d_a(self.fake_b), 1.0) + self.gan(self.net_d_b(self.fake_a), 1.0)
                + 10 * (F.l1_loss(rec_a, real_a) + F.l1_loss(rec_b, real_b)) + loss_idt)
        loss.backward()
        self.optimizer_g.step()
        for d in (self.net_d_a, self.net_d_b):
            d.requires_grad_(True)
        return loss.item()

    def discriminator(self):
        self.optimizer_d.zero_grad()
        total = 0.0
        for net, real, pool, fake in ((self.net_d_a, self.real_b, self.pool_b, self.fake_b),
                                      (self.net_d_b, self.real_a, self.pool_a, self.fake_a)):
            loss = 0.5 * (self.gan(net(real), 1.0) + self.gan(net(pool.query(fake).detach()), 0.0))
            loss.backward()
            total += loss.item()
        self.optimizer_d.step()
        return total

    parts = ("generator", "discriminator")


# ---- DRIT (Lee et al. 2018; research notes section 1: concat generator, three-scale Ds) ----
def drit_conv(in_channels, out_channels, kernel, stride=1, padding=0, norm=False, activation=None):
    """Reflection pad, conv with bias, optional affine-free instance norm, activation."""
    layers = [nn.ReflectionPad2d(padding), nn.Conv2d(in_channels, out_channels, kernel, stride)]
    if norm:
        layers.append(nn.InstanceNorm2d(out_channels))
    if activation is not None:
        layers.append(activation)
    return layers


class DRITResidual(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.body = nn.Sequential(*drit_conv(dim, dim, 3, padding=1, norm=True, activation=nn.ReLU()),
                                  *drit_conv(dim, dim, 3, padding=1, norm=True))

    def forward(self, x):
        return x + self.body(x)


def drit_content_trunk():
    return nn.Sequential(*drit_conv(3, 64, 7, padding=3, activation=nn.LeakyReLU(0.01)),
                         *drit_conv(64, 128, 3, 2, 1, norm=True, activation=nn.ReLU()),
                         *drit_conv(128, 256, 3, 2, 1, norm=True, activation=nn.ReLU()),
                         *(DRITResidual(256) for _ in range(3)))


class DRITBasicBlock(nn.Module):
    """BicycleGAN's encoder block without norm (LeakyReLU 0.2)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.body = nn.Sequential(nn.LeakyReLU(0.2), *drit_conv(in_channels, in_channels, 3, padding=1),
                                  nn.LeakyReLU(0.2), *drit_conv(in_channels, out_channels, 3, padding=1),
                                  nn.AvgPool2d(2))
        self.shortcut = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class DRITAttributeEncoder(nn.Module):
    def __init__(self, nz=8):
        super().__init__()
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(3, 64, 4, 2), DRITBasicBlock(64, 128),
                                  DRITBasicBlock(128, 192), DRITBasicBlock(192, 256), nn.LeakyReLU(0.2),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.mean, self.log_variance = nn.Linear(256, nz), nn.Linear(256, nz)

    def forward(self, x):
        features = self.body(x)
        return self.mean(features), self.log_variance(features)


class DRITLayerNorm(nn.Module):
    """Layer norm over (C, H, W) with a per-channel affine (the MUNIT decoder's)."""

    def __init__(self, channels):
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(channels, 1, 1)), nn.Parameter(torch.zeros(channels, 1, 1))

    def forward(self, x):
        shape = x.shape[1:]
        return F.layer_norm(x, shape, self.weight.expand(shape), self.bias.expand(shape))


def tile_concat(x, z):
    return torch.cat([x, z[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])], 1)


class DRITGenerator(nn.Module):
    """One domain of the concatenation generator (after the shared residual block)."""

    def __init__(self, nz=8):
        super().__init__()
        width = 256 + nz
        self.blocks = nn.Sequential(*(DRITResidual(width) for _ in range(3)))
        self.up1 = nn.Sequential(nn.ConvTranspose2d(width + nz, (width + nz) // 2, 3, 2, 1, output_padding=1),
                                 DRITLayerNorm((width + nz) // 2), nn.ReLU())
        width = (width + nz) // 2
        self.up2 = nn.Sequential(nn.ConvTranspose2d(width + nz, (width + nz) // 2, 3, 2, 1, output_padding=1),
                                 DRITLayerNorm((width + nz) // 2), nn.ReLU())
        width = (width + nz) // 2
        self.out = nn.Sequential(nn.ConvTranspose2d(width + nz, 3, 1), nn.Tanh())

    def forward(self, content, z):
        x = self.blocks(tile_concat(content, z))
        x = self.up1(tile_concat(x, z))
        x = self.up2(tile_concat(x, z))
        return self.out(tile_concat(x, z))


class DRITMultiScale(nn.Module):
    def __init__(self, scales=3):
        super().__init__()
        def critic():
            layers, channels = [], 3
            for out_channels in (64, 128, 256, 512):
                layers += drit_conv(channels, out_channels, 4, 2, 1, activation=nn.LeakyReLU(0.01))
                channels = out_channels
            return nn.Sequential(*layers, nn.Conv2d(channels, 1, 1))
        self.critics = nn.ModuleList(critic() for _ in range(scales))
        self.down = nn.AvgPool2d(3, 2, 1, count_include_pad=False)

    def forward(self, x):
        outputs = []
        for critic in self.critics:
            outputs.append(critic(x))
            x = self.down(x)
        return outputs


def drit_content_discriminator():
    layers = []
    for _ in range(3):
        layers += drit_conv(256, 256, 7, 2, 1, activation=nn.LeakyReLU(0.01))
    layers += drit_conv(256, 256, 4, activation=nn.LeakyReLU(0.01))
    return nn.Sequential(*layers, nn.Conv2d(256, 1, 1), nn.Flatten(0))


class DRITStep:
    """DRIT's full iteration (``update_D`` then ``update_EG``) at batch 2 (one encoded and
    one random image per domain), ``--concat 1``, three-scale Ds; with ``--mode_seeking`` a
    second random code (DRIT++). ``update_EG`` takes both gradient sets at the same weights
    and then steps (set 1: E_c, E_a, G; set 2: E_c, G), the form that runs on current
    PyTorch (research notes 1.3). Adam 1e-4 (0.5, 0.999), weight decay 1e-4; content D lr
    4e-5, gradient clipped to 5. ``--repeat_num`` is unused; ``--conv_dim`` must be 64 (the
    official widths are fixed)."""

    def __init__(self, args):
        nz, self.mode_seeking = 8, args.mode_seeking
        self.trunk = {d: drit_content_trunk() for d in "ab"}
        self.content_share, self.generator_share = DRITResidual(256), DRITResidual(256)
        self.attribute = {d: DRITAttributeEncoder(nz) for d in "ab"}
        self.generator = {d: DRITGenerator(nz) for d in "ab"}
        self.disc = {key: DRITMultiScale() for key in ("a", "b", "a2", "b2")}
        self.disc_content = drit_content_discriminator()
        modules = [*self.trunk.values(), self.content_share, self.generator_share, *self.attribute.values(),
                   *self.generator.values(), *self.disc.values(), self.disc_content]
        for module in modules:
            module.apply(normal_init)
        adam = dict(betas=(0.5, 0.999), weight_decay=1e-4)

        def params(*nets):
            return [p for net in nets for p in net.parameters()]

        self.content_generator_params = params(*self.trunk.values(), self.content_share, self.generator_share,
                                               *self.generator.values())
        self.attribute_params = params(*self.attribute.values())
        self.optimizers = {
            "content": torch.optim.Adam(params(*self.trunk.values(), self.content_share), lr=1e-4, **adam),
            "attribute": torch.optim.Adam(self.attribute_params, lr=1e-4, **adam),
            "generator": torch.optim.Adam(params(self.generator_share, *self.generator.values()), lr=1e-4, **adam),
            "disc": torch.optim.Adam(params(*self.disc.values()), lr=1e-4, **adam),
            "disc_content": torch.optim.Adam(self.disc_content.parameters(), lr=4e-5, **adam),
        }
        shape = (2, 3, args.image_size, args.image_size)
        self.real = {d: torch.rand(shape) * 2 - 1 for d in "ab"}
        self.nz = nz
        self.networks = {"content_encoder_a": self.trunk["a"], "content_share": self.content_share,
                         "attribute_encoder_a": self.attribute["a"], "generator_share": self.generator_share,
                         "generator_a": self.generator["a"], "disc_a": self.disc["a"],
                         "disc_content": self.disc_content}

    def content(self, d, x):
        code = self.content_share(self.trunk[d](x))
        return code + torch.randn_like(code)  # the noise layer, in training

    def generate(self, d, content, z):
        return self.generator[d](self.generator_share(content), z)

    def sampled(self, d, x):
        mean, log_variance = self.attribute[d](x)
        return mean + torch.randn_like(mean) * torch.exp(0.5 * log_variance), mean, log_variance

    @staticmethod
    def bce(logits, target):
        return sum(F.binary_cross_entropy(torch.sigmoid(l), torch.full_like(l, target)) for l in logits)

    def forward(self):
        encoded = {d: self.real[d][:1] for d in "ab"}
        self.encoded, self.random_real = encoded, {d: self.real[d][1:] for d in "ab"}
        f = {"content": {d: self.content(d, encoded[d]) for d in "ab"},
             "attribute": {d: self.sampled(d, encoded[d]) for d in "ab"}}
        randoms = [torch.randn(1, self.nz)] + ([torch.randn(1, self.nz)] if self.mode_seeking else [])
        fakes = {}
        for d, o in (("a", "b"), ("b", "a")):
            contents = [f["content"][o], f["content"][d]] + [f["content"][o]] * len(randoms)
            codes = [f["attribute"][d][0]] * 2 + randoms
            out = torch.split(self.generate(d, torch.cat(contents), torch.cat(codes)), 1)
            fakes[d] = {"encoded": out[0], "self": out[1], "random": out[2:]}
        recon = {}
        for d, o in (("a", "b"), ("b", "a")):
            recon[d] = self.generate(d, self.content(o, fakes[o]["encoded"]), self.sampled(d, fakes[d]["encoded"])[0])
        f.update(randoms=randoms, fakes=fakes, recon=recon,
                 regressed={d: self.attribute[d](fakes[d]["random"][0])[0] for d in "ab"})
        self.f = f

    def update_d(self):
        self.forward()
        f, total = self.f, 0.0
        self.optimizers["disc"].zero_grad()
        for d in "ab":
            loss = self.bce(self.disc[d](self.real[d][:1]), 1.0) + self.bce(
                self.disc[d](f["fakes"][d]["encoded"].detach()), 0.0)
            for fake in f["fakes"][d]["random"]:
                loss = loss + self.bce(self.disc[d + "2"](self.random_real[d]), 1.0) + self.bce(
                    self.disc[d + "2"](fake.detach()), 0.0)
            loss.backward()
            total += loss.item()
        self.optimizers["disc"].step()
        self.optimizers["disc_content"].zero_grad()
        loss = self.bce([self.disc_content(f["content"]["b"].detach())], 1.0) + self.bce(
            [self.disc_content(f["content"]["a"].detach())], 0.0)
        loss.backward()
        nn.utils.clip_grad_norm_(self.disc_content.parameters(), 5)
        self.optimizers["disc_content"].step()
        return total + loss.item()

    def update_eg(self):
        f = self.f
        set1 = sum(self.bce(self.disc[d](f["fakes"][d]["encoded"]), 1.0)
                   + self.bce([self.disc_content(f["content"][d])], 0.5)
                   + 10 * (F.l1_loss(f["recon"][d], self.encoded[d]) + F.l1_loss(f["fakes"][d]["self"], self.encoded[d]))
                   - 0.5 * 0.01 * torch.sum(1 + f["attribute"][d][2] - f["attribute"][d][1] ** 2
                                            - f["attribute"][d][2].exp())
                   + 0.01 * torch.mean(f["content"][d] ** 2) for d in "ab")
        set2 = sum(sum(self.bce(self.disc[d + "2"](fake), 1.0) for fake in f["fakes"][d]["random"])
                   + 10 * torch.mean(torch.abs(f["regressed"][d] - f["randoms"][0])) for d in "ab")
        if self.mode_seeking:
            distance = torch.mean(torch.abs(f["randoms"][1] - f["randoms"][0]))
            set2 = set2 + sum(1 / (torch.mean(torch.abs(f["fakes"][d]["random"][1] - f["fakes"][d]["random"][0]))
                                   / distance + 1e-5) for d in "ab")
        both, attribute = self.content_generator_params, self.attribute_params
        gradients1 = torch.autograd.grad(set1, both + attribute, retain_graph=True, allow_unused=True)
        gradients2 = torch.autograd.grad(set2, both, allow_unused=True)
        for params, gradients, names in ((both + attribute, gradients1, ("content", "generator", "attribute")),
                                         (both, gradients2, ("content", "generator"))):
            for p, g in zip(params, gradients):
                p.grad = g
            for name in names:
                self.optimizers[name].step()
        return (set1 + set2).item()

    parts = ("update_d", "update_eg")


# ---- SaGAN (Zhang et al. 2018; reference sagan.py / train.py) -----------------------------
def sagan_encoder_decoder(in_channels, out_channels, activation, conv_dim, repeat_num):
    """sagan.py's ``_Generator``: c7s1-``conv_dim`` (the reference's 32), three 4x4 stride-2
    convs doubling the channels, ``repeat_num`` residual blocks with batch norm (the
    reference's 4), three 4x4 stride-2 transposed convs, a 7x7 transposed conv to
    ``out_channels``, ``activation``; instance norm without affine elsewhere, biases
    everywhere."""
    layers = [nn.Conv2d(in_channels, conv_dim, 7, 1, 3), nn.InstanceNorm2d(conv_dim), nn.ReLU(inplace=True)]
    dim = conv_dim
    for _ in range(3):
        layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1), nn.InstanceNorm2d(dim * 2), nn.ReLU(inplace=True)]
        dim *= 2
    for _ in range(repeat_num):
        layers.append(Residual(nn.Sequential(
            nn.Conv2d(dim, dim, 3, 1, 1), nn.BatchNorm2d(dim), nn.ReLU(inplace=True),
            nn.Conv2d(dim, dim, 3, 1, 1), nn.BatchNorm2d(dim))))
    for _ in range(3):
        layers += [nn.ConvTranspose2d(dim, dim // 2, 4, 2, 1), nn.InstanceNorm2d(dim // 2), nn.ReLU(inplace=True)]
        dim //= 2
    layers += [nn.ConvTranspose2d(dim, out_channels, 7, 1, 3), activation]
    return nn.Sequential(*layers)


class SaGANGenerator(nn.Module):
    """sagan.py's ``Generator``: the AMN edits the image with the attribute tiled as a fourth
    plane, the SAN's mask keeps the edit where the attribute is (paper Eq. 1)."""

    def __init__(self, conv_dim, repeat_num):
        super().__init__()
        self.amn = sagan_encoder_decoder(4, 3, nn.Tanh(), conv_dim, repeat_num)
        self.san = sagan_encoder_decoder(3, 1, nn.Sigmoid(), conv_dim, repeat_num)

    def forward(self, x, c):
        mask = self.san(x)
        return self.amn(tile_concat(x, c)) * mask + x * (1 - mask)


class SaGANDiscriminator(nn.Module):
    """sagan.py's ``Discriminator``: ``repeat_num`` 4x4 stride-2 convs + LeakyReLU 0.2, no
    norm (the reference's 6); D_src a 3x3 conv to one channel, D_cls a conv covering the
    remaining map + sigmoid."""

    def __init__(self, image_size, conv_dim, repeat_num):
        super().__init__()
        layers = [nn.Conv2d(3, conv_dim, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        dim = conv_dim
        for _ in range(1, repeat_num):
            layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
            dim *= 2
        self.main = nn.Sequential(*layers)
        self.src = nn.Conv2d(dim, 1, 3, 1, 1)
        self.cls = nn.Sequential(nn.Conv2d(dim, 1, image_size // 2 ** repeat_num), nn.Sigmoid())

    def forward(self, x):
        h = self.main(x)
        return self.src(h), self.cls(h).view(h.size(0), 1)


class SaGANStep:
    """train.py's iteration: ``--d-iters`` 3 D steps (WGAN-GP through
    ``autograd.grad(create_graph=True)``, attribute BCE on reals; G frozen), then a G step
    (adversarial, attribute BCE towards the flipped label, L1 of the dual reconstruction
    x 20 and of the identity edit x 100; D frozen), each on a batch of its own. Adam 2e-4
    (0.5, 0.999); N(0, 0.02) weights, zero biases. ``--d_repeat_num`` sets D's depth."""

    def __init__(self, args):
        self.G = SaGANGenerator(args.conv_dim, args.repeat_num)
        self.D = SaGANDiscriminator(args.image_size, args.conv_dim, args.d_repeat_num)
        for net in (self.G, self.D):
            net.apply(normal_init)  # the reference's init_weights
        self.g_optimizer = torch.optim.Adam(self.G.parameters(), 2e-4, betas=(0.5, 0.999))
        self.d_optimizer = torch.optim.Adam(self.D.parameters(), 2e-4, betas=(0.5, 0.999))
        shape = (args.batch_size, 3, args.image_size, args.image_size)
        # The reference draws a fresh batch for every step: one per part.
        self.batches = [(torch.rand(shape) * 2 - 1, torch.randint(0, 2, (args.batch_size, 1)).float())
                        for _ in self.parts]
        self.networks = {"attribute_manipulation": self.G.amn, "spatial_attention": self.G.san,
                         "discriminator": self.D}

    def discriminator(self, index):
        reals, labels = self.batches[index]
        self.G.requires_grad_(False)  # the reference's trainable(G, False)
        self.D.requires_grad_(True)
        fakes = self.G(reals, 1 - labels).detach()
        d_real, dc_real = self.D(reals)
        d_fake, _ = self.D(fakes)
        alpha = torch.rand(reals.size(0), 1, 1, 1)
        mix = ((1 - alpha) * reals + alpha * fakes).requires_grad_(True)
        mix_out, _ = self.D(mix)
        grad = torch.autograd.grad(mix_out, mix, torch.ones_like(mix_out), create_graph=True, retain_graph=True)[0]
        gradient_penalty = ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
        d_loss = d_fake.mean() - d_real.mean() + F.binary_cross_entropy(dc_real, labels) + 10 * gradient_penalty
        self.d_optimizer.zero_grad()
        d_loss.backward()
        self.d_optimizer.step()
        return d_loss.item()

    def generator(self, index):
        reals, labels = self.batches[index]
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)  # the reference's trainable(D, False)
        fakes = self.G(reals, 1 - labels)
        cycled = self.G(fakes, labels)
        identity = self.G(reals, labels)
        d_fake, dc_fake = self.D(fakes)
        g_loss = (-d_fake.mean() + F.binary_cross_entropy(dc_fake, 1 - labels)
                  + 20 * F.l1_loss(cycled, reals) + 100 * F.l1_loss(identity, reals))
        self.g_optimizer.zero_grad()
        g_loss.backward()
        self.g_optimizer.step()
        return g_loss.item()

    # One reference iteration: the three D steps, then the G step, on batches 0 to 3.
    parts = ("d1", "d2", "d3", "g")
    d1 = functools.partialmethod(discriminator, 0)
    d2 = functools.partialmethod(discriminator, 1)
    d3 = functools.partialmethod(discriminator, 2)
    g = functools.partialmethod(generator, 3)


SYSTEMS = {"stargan": StarGANStep, "ugatit_light": UGATITStep, "cyclegan": CycleGANStep, "drit": DRITStep,
           "drit_ms": DRITStep, "sagan": SaGANStep}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", choices=sorted(SYSTEMS), required=True)
    for flag in ("image_size", "batch_size", "conv_dim", "repeat_num", "threads"):
        parser.add_argument(f"--{flag}", type=int, required=True)
    parser.add_argument("--d_repeat_num", type=int, default=6,
                        help="SaGAN's stride-2 D convs (the reference's 6; fewer fit smaller images)")
    parser.add_argument("--lean", action="store_true")
    parser.add_argument("--mode_seeking", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    args.mode_seeking = args.mode_seeking or args.system == "drit_ms"
    step = SYSTEMS[args.system](args)
    counts = {name: sum(p.numel() for p in net.parameters()) for name, net in step.networks.items()}
    print("ready " + json.dumps({"torch": torch.__version__, "parameters": counts}), flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            continue
        times, started, cpu_started = {}, time.perf_counter(), time.process_time()
        for part in step.parts:
            part_started = time.perf_counter()
            getattr(step, part)()  # each part ends in .item(), as the official logging: synchronised
            times[part] = time.perf_counter() - part_started
        times["total"], times["cpu"] = time.perf_counter() - started, time.process_time() - cpu_started
        print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
