"""Weight initialisers of the reference implementations.

Each is a function returning a *new* initialiser per layer: one made at import time would
carry a seed drawn before ``keras.utils.set_random_seed``, and runs would not reproduce.
"""

import keras


def torch_default():
    """PyTorch's default Conv2d / Linear weight init, ``kaiming_uniform(a=sqrt(5))``:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (U-GAT-IT keeps it; biases start at 0 here, not at
    U(+-1/sqrt(fan_in)))."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform")


def normal_002():
    """N(0, 0.02), the DCGAN-style ``--init_type normal --init_gain 0.02`` of CycleGAN
    (and DRIT, SaGAN, Contextual GAN)."""
    return keras.initializers.RandomNormal(0.0, 0.02)
