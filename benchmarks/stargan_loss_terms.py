"""Which of StarGAN's generator loss terms holds its translations where they are (issue 11):
each term of G's loss (Eq. 6) for the translation G makes and for the ideal one, on fresh
images of the built-in world.

    python benchmarks/stargan_loss_terms.py --run_dir=runs/stargan

Every fresh image is translated to a new colour on its own background (where the CPU preset's
shapes go missing on dark backgrounds). For G's translation ``G(x, c')``, for the ideal one
(the same shape redrawn in the new colour by the dataset's own renderer) and for the real image
under its own labels, it prints, per input background: D's adversarial score (mean over its
patch map), the classification loss of the labels the image should carry (Eq. 3), the
reconstruction L1 ``|G(image, c) - x|`` with the source labels (Eq. 4), and G's weighted loss
``-D + lambda_cls * cls + lambda_rec * rec``. Where G's translation scores a lower loss than
the ideal one, training holds G where it is, whatever D thinks of it.
"""

import argparse
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import shape_measures  # noqa: E402
from benchmarks.trained_run import load_run  # noqa: E402
from stargan_tf.cli.data import SHAPES_IMAGE_SIZE as SOURCE_SIZE  # noqa: E402
from stargan_tf.pipelines import shapes  # noqa: E402


def label_rows(descriptions, attributes):
    """float32 [N, len(attributes)]: each description's value of each selected attribute."""
    return np.array([[dict(zip(shapes.ATTRIBUTES, shapes.shape_attributes(d)))[name] for name in attributes]
                     for d in descriptions], np.float32)


def terms(system, images, labels, source_images, source_labels):
    """{term: per-image values} of G's loss for ``images`` meant to carry ``labels`` and to
    reconstruct ``source_images`` under ``source_labels``."""
    import tensorflow as tf

    from stargan_tf import losses

    c = system.config
    adversarial, logits = system.discriminator(tf.constant(images), training=False)
    back = system.generator((tf.constant(images), system.generator_labels(tf.constant(source_labels))),
                            training=False)
    result = {"D score": tf.reduce_mean(adversarial, axis=[1, 2, 3]).numpy(),
              "cls": losses.multi_label_classification(logits, labels).numpy(),
              "rec L1": np.abs(back.numpy() - source_images).mean(axis=(1, 2, 3))}
    result["G loss"] = -result["D score"] + c.lambda_cls * result["cls"] + c.lambda_rec * result["rec L1"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", default="runs/stargan")
    parser.add_argument("--num_images", type=int, default=96, help="per background")
    parser.add_argument("--seed", type=int, default=11, help="of the fresh images (the dataset is written with 0)")
    args = parser.parse_args()
    import tensorflow as tf

    from stargan_tf.export.images import to_model_range

    system = load_run(args.run_dir)
    c = system.config
    if len(system.datasets) != 1 or system.datasets[0].space.single_label:
        sys.exit(f"{args.run_dir}: a StarGAN run on the built-in CelebA-style data is needed")
    size, attributes = c.image_size, system.datasets[0].space.names
    drawn = shape_measures.labelled_examples(4 * args.num_images, args.seed, SOURCE_SIZE, size)
    print(f"{args.run_dir}: fresh images at {size}x{size}, each to the next colour on its own background; "
          f"lambda_cls {c.lambda_cls}, lambda_rec {c.lambda_rec}")
    print(f"  {'background':10s} {'image':28s} {'D score':>8s} {'cls':>7s} {'rec L1':>7s} {'G loss':>7s}")
    for dark in (True, False):
        examples = [e for e in drawn if e.shape["dark"] == dark][:args.num_images]
        targets = [shape_measures.changed(e.shape, colour=(e.shape["colour"] + 1) % 3) for e in examples]
        real = np.stack([to_model_range(e.pixels) for e in examples])
        ideal = np.stack([to_model_range(shape_measures.draw(t, False, SOURCE_SIZE, size).pixels) for t in targets])
        own, wanted = label_rows([e.shape for e in examples], attributes), label_rows(targets, attributes)
        translated = system.generator((tf.constant(real), system.generator_labels(tf.constant(wanted))),
                                      training=False).numpy()
        rows = {"G's translation G(x, c')": (translated, wanted), "ideal translation": (ideal, wanted),
                "real image, own labels": (real, own)}
        for name, (images, labels) in rows.items():
            means = {k: float(np.mean(v)) for k, v in terms(system, images, labels, real, own).items()}
            print(f"  {'dark' if dark else 'light':10s} {name:28s} {means['D score']:8.3f} {means['cls']:7.3f} "
                  f"{means['rec L1']:7.3f} {means['G loss']:7.3f}")


if __name__ == "__main__":
    main()
