"""SaGAN at test time: batch norm with its moving statistics (what test mode and the export
use) against the batch's own statistics (the reference implementation, whose networks stay in
training mode in its own tests), on fresh images of the built-in world.

    python benchmarks/sagan_batch_norm.py --run_dir=runs/sagan

Edits ``--num_images`` fresh images to their flipped Spot three ways: moving statistics,
batch statistics over all of them at once, and batch statistics of each image alone (batch 1,
a phone's case). Prints the criteria of ``preset_quality.py --model=sagan`` for each, and the
mean absolute difference of each output and mask from the moving-statistics ones.
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


def edit(system, images, attribute, training):
    """uint8 edited images and masks in [0, 1] with moving (``training=False``) or batch
    statistics."""
    import tensorflow as tf

    from stargan_tf.export.images import to_pixels
    from stargan_tf.models.sagan.system import blend

    images = tf.constant(images)
    edited = system.amn((images, tf.constant(attribute)), training=training)
    mask = system.san(images, training=training)
    return to_pixels(blend(edited, mask, images).numpy()), mask.numpy()[..., 0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", default="runs/sagan")
    parser.add_argument("--num_images", type=int, default=96)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    from stargan_tf.export.images import to_model_range

    system = load_run(args.run_dir)
    size = system.config.image_size
    examples = shape_measures.labelled_examples(args.num_images, args.seed, SOURCE_SIZE, size, spot=None)
    images = np.stack([to_model_range(e.pixels) for e in examples])
    add = np.array([[0.0 if e.shape["spot"] else 1.0] for e in examples], np.float32)
    modes = {"moving statistics": edit(system, images, add, False),
             f"batch statistics (batch {len(examples)})": edit(system, images, add, True)}
    alone = [edit(system, images[i : i + 1], add[i : i + 1], True) for i in range(len(examples))]
    modes["batch statistics (batch 1)"] = (np.concatenate([a[0] for a in alone]), np.concatenate([a[1] for a in alone]))
    reference_output, reference_mask = modes["moving statistics"]
    print(f"{args.run_dir}: {len(examples)} fresh images at {size}x{size}, each to its flipped Spot")
    print(f"  {'test-time batch norm':36s} {'edit':>6s} {'kept':>6s} {'mask on spot':>12s} "
          f"{'|output - moving| (of 255)':>26s} {'|mask - moving|':>15s}")
    for name, (outputs, masks) in modes.items():
        results = [shape_measures.measure_edit(o, m, e, a, SOURCE_SIZE)
                   for o, m, e, a in zip(outputs, masks, examples, add[:, 0])]
        rates = [100 * np.mean([r[c] for r in results]) for c in ("edit", "kept", "mask on spot")]
        output_change = np.abs(outputs.astype(int) - reference_output.astype(int)).mean()
        mask_change = np.abs(masks - reference_mask).mean()
        print(f"  {name:36s} {rates[0]:5.1f}% {rates[1]:5.1f}% {rates[2]:11.1f}% {output_change:26.2f} "
              f"{mask_change:15.4f}")


if __name__ == "__main__":
    main()
