"""Where a DRIT run on gray2color keeps the colour (issue 12): in the attribute code, as DRIT
intends, or in the content code, where the content discriminator should keep it out.

    python benchmarks/drit_codes.py --run_dir=runs/drit

On fresh grey (A) and coloured (B) shapes of the built-in pair it prints:

* how well a linear probe (ridge least squares, fitted on half the images, scored on the
  other half) reads the B shape's colour from the attribute code (E^a's mean) and from the
  content code (E^c, averaged over positions); chance is 1/3;
* the content discriminator's accuracy at telling A's content codes from B's (0.5 when the
  content is domain-invariant);
* how the B translations of grey inputs vary with the attribute code against how they vary
  between inputs, and the colours ``CODES`` random codes give each input;
* the latent regression: the correlation of E^a's mean of G(content, z) with z;
* the cross-cycle's way back for B's colour: B's shapes translated to A (their content, random
  A codes) should be plain grey, so a probe reads their colour from those grey images' pixels,
  or from E^c_A of them, at chance; above it the colour travels hidden in the grey image (the
  steganography CycleGAN-like cycles are known for) instead of in the attribute code.
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

CODES = 8
SATURATED = 60  # channel spread (of 255) of a coloured pixel, as the quality script's foreground


def probe_accuracy(features, classes, ridge=0.1):
    """Share of the odd-indexed examples whose class a ridge least-squares fit on the
    even-indexed ones gets right."""
    features = np.concatenate([features.reshape(len(features), -1), np.ones((len(features), 1))], axis=1)
    train, test = features[0::2], features[1::2]
    targets = np.eye(classes.max() + 1)[classes[0::2]]
    weights = np.linalg.solve(train.T @ train + ridge * np.eye(train.shape[1]), train.T @ targets)
    return float(np.mean(np.argmax(test @ weights, axis=1) == classes[1::2]))


def dominant_colour(image):
    """0, 1, 2 (R, G, B) for the channel most saturated pixels of a uint8 image peak in; -1
    when fewer than four pixels are saturated."""
    saturated = image.max(axis=-1).astype(int) - image.min(axis=-1) > SATURATED
    if saturated.sum() < 4:
        return -1
    return int(np.bincount(np.argmax(image[saturated], axis=-1), minlength=3).argmax())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", default="runs/drit")
    parser.add_argument("--num_images", type=int, default=150)
    parser.add_argument("--seed", type=int, default=5, help="of the fresh images (the dataset is written with 0)")
    args = parser.parse_args()
    import tensorflow as tf

    from stargan_tf.export.images import to_model_range, to_pixels

    system = load_run(args.run_dir)
    size, grey, coloured = system.config.image_size, *shapes.PAIRS["gray2color"]
    drawn = {d: shape_measures.domain_examples(domain, args.num_images, args.seed, stream, SOURCE_SIZE, size)
             for d, domain, stream in (("a", grey, 1), ("b", coloured, 2))}
    images = {d: tf.constant(np.stack([to_model_range(e.pixels) for e in drawn[d]])) for d in drawn}
    colour_b = np.array([e.shape["colour"] for e in drawn["b"]])
    content = {d: system.content_code(d, images[d]) for d in drawn}
    print(f"{args.run_dir}: {args.num_images} fresh images per domain at {size}x{size}")
    print(f"  B's colour read by a linear probe from its attribute code (E^a mean): "
          f"{probe_accuracy(system.attribute_code('b', images['b'])[1].numpy(), colour_b):.2f} (chance 0.33)")
    print(f"  B's colour read from its content code (mean over positions): "
          f"{probe_accuracy(tf.reduce_mean(content['b'], axis=[1, 2]).numpy(), colour_b):.2f}")
    codes = {d: system.disc_content(content[d]).numpy().mean(axis=1) for d in drawn}
    accuracy = (np.mean(codes["b"] > 0) + np.mean(codes["a"] < 0)) / 2
    print(f"  content discriminator: accuracy {accuracy:.2f} (0.5 when the content is domain-invariant), "
          f"mean logit A {codes['a'].mean():.2f}, B {codes['b'].mean():.2f}")
    z = np.random.default_rng(args.seed).standard_normal((CODES, system.config.nz)).astype(np.float32)
    count = len(drawn["a"])
    outputs = np.stack([system.generate("b", content["a"], tf.tile(code[None], [count, 1])).numpy()
                        for code in z])  # [codes, inputs, S, S, 3]
    print(f"  translations of grey inputs: std over codes {outputs.std(axis=0).mean():.3f}, "
          f"over inputs {outputs.std(axis=1).mean():.3f}")
    colours = np.array([[dominant_colour(image) for image in to_pixels(per_code)] for per_code in outputs])
    distinct = [len(set(colours[:, i]) - {-1}) for i in range(count)]
    print(f"  colours under {CODES} codes: {np.mean(distinct):.2f} on average; "
          f"inputs with two or more: {np.mean(np.array(distinct) >= 2):.2f}")
    for kind in ("small", "large"):
        picked = [i for i, e in enumerate(drawn["a"]) if e.shape["large"] == (kind == "large")]
        shares = np.bincount(colours[:, picked].ravel() + 1, minlength=4)[1:] / colours[:, picked].size
        print(f"    {kind} inputs: red {shares[0]:.2f}, green {shares[1]:.2f}, blue {shares[2]:.2f}")
    regressed = np.stack([system.attribute_code("b", tf.constant(o))[1].numpy() for o in outputs])
    correlation = np.corrcoef(regressed.ravel(), np.repeat(z[:, None], count, axis=1).ravel())[0, 1]
    print(f"  latent regression: corr(E^a mean of G(content, z), z) {correlation:.2f} (1 when G follows the code)")
    random_a = np.random.default_rng(args.seed + 1).standard_normal((count, system.config.nz)).astype(np.float32)
    to_grey = system.generate("a", content["b"], tf.constant(random_a))
    from_pixels = probe_accuracy(to_grey.numpy(), colour_b, ridge=10.0)  # a feature per pixel and channel: more ridge
    from_means = probe_accuracy(tf.reduce_mean(to_grey, axis=[1, 2]).numpy(), colour_b)
    from_content = probe_accuracy(tf.reduce_mean(system.content_code("a", to_grey), axis=[1, 2]).numpy(), colour_b)
    print(f"  B's colour read from its translations to A: from their pixels {from_pixels:.2f} (their channel means "
          f"{from_means:.2f}), from E^c_A of them {from_content:.2f} (chance 0.33: grey images should not carry it)")


if __name__ == "__main__":
    main()
