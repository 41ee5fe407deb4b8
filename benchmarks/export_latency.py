"""Batch-1 latency of a generator as exported: Keras eager, tf.function, the reloaded
SavedModel signature and each .tflite file (ai_edge_litert, default threads, XNNPACK).

    python benchmarks/export_latency.py                 # StarGAN paper generator, 128x128, c_dim 5
    python benchmarks/export_latency.py --image_size=64 --repeat_num=2 --runs=20

Weights are random (latency and file size do not depend on them; the export's accuracy
numbers, printed too, do somewhat). Any system plugs in through ``run(bundle_factory)``:
the factory returns a ``ServingBundle``.
"""

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stargan_bundle(image_size=128, conv_dim=64, repeat_num=6,
                   attributes=("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")):
    """The paper's CelebA generator (c_dim 5) with random weights, as its system exports it."""
    from stargan_tf.models.stargan.config import StarGANConfig
    from stargan_tf.models.stargan.system import DatasetLabels, StarGAN
    from stargan_tf.pipelines.labels import LabelSpace

    config = StarGANConfig(image_size=image_size, g_conv_dim=conv_dim, g_repeat_num=repeat_num, batch_size=1,
                           # the discriminator is not exported (below); keep it small and valid at any size
                           d_conv_dim=8, d_repeat_num=6 if image_size % 64 == 0 else 1)
    bundle = StarGAN(config, [DatasetLabels("celeba", LabelSpace(attributes))]).serving_bundle()
    # G alone: the ``attributes`` endpoint (D's classifier) is not what this times or sizes.
    return dataclasses.replace(bundle, endpoints=bundle.endpoints[:1],
                               trackables={"generator": bundle.trackables["generator"]})


def median_ms(fn, runs, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def run(bundle_factory, runs=30, seed=0):
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from stargan_tf.export import export_bundle
    from stargan_tf.export.verify import sample_inputs

    bundle = bundle_factory()
    endpoint = bundle.endpoints[0]
    inputs, _ = sample_inputs(bundle, count=1, seed=seed)
    numpy_feeds = inputs[endpoint.name]  # {input name: array}, images included
    feeds = {k: tf.constant(v) for k, v in numpy_feeds.items()}

    def materialise(outputs):  # a tensor or {output name: tensor}
        return tf.nest.map_structure(np.asarray, outputs)

    rows = []
    with tempfile.TemporaryDirectory() as export_dir:
        start = time.perf_counter()
        report = export_bundle(bundle, export_dir)
        print(f"export + verification: {time.perf_counter() - start:.1f} s\n")

        rows.append(("keras eager", median_ms(lambda: materialise(endpoint.translate(**feeds)), runs), None))
        graph = tf.function(endpoint.translate)
        rows.append(("tf.function", median_ms(lambda: materialise(graph(**feeds)), runs), None))
        signature = tf.saved_model.load(report["path"]).signatures[endpoint.name]
        rows.append((f"saved_model:{endpoint.name}", median_ms(lambda: materialise(signature(**feeds)), runs),
                     report["saved_model"]["size_bytes"]))
        for entry in report["tflite"]:
            if entry["endpoint"] != endpoint.name:
                continue
            runner = Interpreter(model_path=os.path.join(report["path"], entry["file"])).get_signature_runner(
                endpoint.name)
            rows.append((entry["file"], median_ms(lambda: runner(**numpy_feeds), runs),
                         entry["size_bytes"]))
    height, width = bundle.image_size
    print(f"\n{bundle.model_name} {endpoint.name}, batch 1, {height}x{width}, median of {runs} runs, "
          f"{os.cpu_count()} CPUs")
    print(f"{'what':40s} {'ms':>9s} {'size':>14s}")
    for name, ms, size in rows:
        print(f"{name:40s} {ms:9.2f} {'' if size is None else f'{size:,} B':>14s}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image_size", type=int, default=128)
    parser.add_argument("--conv_dim", type=int, default=64)
    parser.add_argument("--repeat_num", type=int, default=6)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    run(lambda: stargan_bundle(args.image_size, args.conv_dim, args.repeat_num), runs=args.runs)


if __name__ == "__main__":
    main()
