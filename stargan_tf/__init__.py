"""stargan_tf: GAN image-to-image translation (StarGAN, U-GAT-IT, CycleGAN, ...) in TF2 / Keras 3."""

__version__ = "0.1.0"
