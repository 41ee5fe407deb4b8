"""stargan_tf command line: train, test, export and summarise GAN image-to-image translators.

    python main.py                       # StarGAN on the built-in dataset (CPU preset)
    python main.py --model=ugatit        # U-GAT-IT light on the built-in circle->square pair
    python main.py --model=stargan --dataset=CelebA --celeba_image_dir=... --attr_path=...
    python main.py --mode=test --test_image_dir=my_photos
    python main.py --mode=export
    python main.py --helpfull            # every flag, grouped per system

See README.md. After ``pip install .`` the same command is ``stargan-tf``.
"""

from stargan_tf.cli.main import console

if __name__ == "__main__":
    console()
