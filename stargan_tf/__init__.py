"""stargan_tf: GAN image-to-image translation (StarGAN, U-GAT-IT, CycleGAN, ...) in TF2 / Keras 3."""

__version__ = "0.1.0"


def __getattr__(name):
    # ``from stargan_tf import Translator`` without loading it (and PIL) for every import.
    if name == "Translator":
        from stargan_tf.translator import Translator

        return Translator
    raise AttributeError(f"module 'stargan_tf' has no attribute {name!r}")
