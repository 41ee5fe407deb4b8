"""Images/second the tf.data CelebA-format pipeline delivers at 128x128 (decode JPEG, center
crop 178, resize, random flip), to hold against what the StarGAN train step consumes
(benchmarks/train_step.py prints that as "images/s consumed by training").

The images are the built-in shapes dataset written at 218x218 (CelebA's height) in CelebA's
layout, so no download is needed:

    python benchmarks/pipeline_throughput.py --batches=50

Prints only.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_images", type=int, default=300)
    parser.add_argument("--source_size", type=int, default=218)
    parser.add_argument("--image_size", type=int, default=128)
    parser.add_argument("--crop_size", type=int, default=178)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--root", default=os.path.join(tempfile.gettempdir(), "stargan_tf_bench_shapes"))
    args = parser.parse_args()

    from stargan_tf.pipelines.celeba import celeba_dataset
    from stargan_tf.pipelines.shapes import ATTRIBUTES, write_shapes_dataset

    paths = write_shapes_dataset(args.root, num_images=args.num_images, image_size=args.source_size, seed=0)
    for cache in (False, True):
        info = celeba_dataset(paths["celeba_image_dir"], paths["attr_path"], list(ATTRIBUTES[:5]),
                              image_size=args.image_size, crop_size=args.crop_size,
                              global_batch_size=args.batch_size, cache=cache)
        iterator = iter(info.dataset)
        next(iterator)  # start-up (and, with cache, the first pass fills the cache)
        if cache:
            for _ in range(args.num_images // args.batch_size + 1):
                next(iterator)
        started = time.perf_counter()
        for _ in range(args.batches):
            batch = next(iterator)
        batch["image"].numpy()
        seconds = time.perf_counter() - started
        print(f"cache={cache!s:5s}: {args.batches * args.batch_size / seconds:8.1f} images/s "
              f"({args.image_size}x{args.image_size}, batch {args.batch_size}, {args.batches} batches, "
              f"{os.cpu_count()} CPUs)", flush=True)


if __name__ == "__main__":
    main()
