"""Whether a Contextual GAN run's generator has learned *joint* images (issue 14): completion
can only follow a sketch if G's sketch half changes with z and matches G's own photo half.

    python benchmarks/contextual_gan_halves.py --run_dir=runs/contextual_gan

From ``--samples`` codes z (uniform in [-1, 1], ``--seed``) it prints, per half:

* **spread**: how much the half varies between codes (per pixel, the standard deviation over
  the samples, averaged over pixels and channels), beside the same figure of the run's real
  test pairs. A half whose spread is a small fraction of the real one has collapsed: every z
  draws about the same sketch (or photo), so no z matches a given one.

and, where the run's sketches are XDoG drawings of its photos (the built-in data and
``--dataset=photos``):

* **coherence**: the mean absolute difference (pixels in [0, 1]) between G's sketch half and
  the XDoG of G's own photo half (with the run's XDoG values), against the same with the
  photo half of another sample (a fixed derangement). ``1 - matched / shuffled`` is 0 when
  G's halves are no more related than two random samples', 1 when its sketch half is exactly
  its photo's XDoG; the real test pairs give 1 by construction, and their shuffled figure is
  printed as the scale.
* **completions' coherence**: the same figure between the run's test sketches and the photos
  its completion (sketch2photo, the run's settings) makes of them: whether the completed
  photos follow the sketches' shapes and positions (issue 14's criterion), 0 when a
  completion is no nearer its own sketch than another's.
"""

import argparse
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.trained_run import load_run_and_data  # noqa: E402
from stargan_tf.pipelines.sketches import joint_halves, xdog_sketch  # noqa: E402
from stargan_tf.pipelines.xdog import XDoGParameters  # noqa: E402


def spread(images):
    """Mean over pixels and channels of the standard deviation over ``images`` [N, H, W, C]
    (values in [-1, 1], reported in [0, 1] units)."""
    return float(np.std(images, axis=0).mean() / 2.0)


def coherence(sketches, photos, parameters):
    """``(matched, shuffled)``: the mean absolute difference, in [0, 1] units, of each sketch
    from its own photo's XDoG and from the next sample's photo's XDoG."""
    drawn = np.repeat(xdog_sketch(photos, parameters).numpy(), sketches.shape[-1], axis=-1)
    matched = np.abs(sketches - drawn).mean() / 2.0
    shuffled = np.abs(sketches - np.roll(drawn, 1, axis=0)).mean() / 2.0
    return float(matched), float(shuffled)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", required=True)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    system, data = load_run_and_data(args.run_dir)
    z = np.random.default_rng(args.seed).uniform(-1.0, 1.0, (args.samples, system.config.z_dim)).astype(np.float32)
    fake = joint_halves(system.generator(z, training=False).numpy())
    fake_sketch, fake_photo = fake["sketch"], fake["photo"]
    real = data.test_examples()
    real_sketch, real_photo = np.asarray(real["sketch"]), np.asarray(real["photo"])

    print(f"{args.run_dir}: {args.samples} samples of G, {len(real_photo)} real test pairs")
    for name, fake, truth in (("sketch", fake_sketch, real_sketch), ("photo", fake_photo, real_photo)):
        ours, theirs = spread(fake), spread(truth)
        print(f"  {name} half spread over samples: G {ours:.4f}, real {theirs:.4f} ({ours / theirs:.0%} of real)")
    if system.xdog is None:
        print("  coherence: not measured (the run's sketches are files, not XDoG drawings of its photos)")
        return
    parameters = XDoGParameters(**system.xdog)
    matched, shuffled = coherence(fake_sketch, fake_photo, parameters)
    _, real_shuffled = coherence(real_sketch, real_photo, parameters)
    print(f"  coherence, |G's sketch - XDoG(G's photo)|: own photo {matched:.4f}, another sample's {shuffled:.4f}: "
          f"1 - matched / shuffled = {1 - matched / shuffled:.2f} (real pairs: 1 by construction; "
          f"their shuffled difference {real_shuffled:.4f})")
    completed = system.complete_all(real_sketch, "sketch2photo")
    matched, shuffled = coherence(real_sketch, completed, parameters)
    print(f"  completions' coherence, |test sketch - XDoG(its completed photo)| over {len(real_sketch)} test sketches: "
          f"own {matched:.4f}, another's {shuffled:.4f}: 1 - matched / shuffled = {1 - matched / shuffled:.2f}")


if __name__ == "__main__":
    main()
