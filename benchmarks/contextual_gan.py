"""Contextual GAN at the paper's setting (64 x 128 joint images, z 100, 512 channels):
seconds per training iteration (one D and one G update, batch 64), and the latency of one
completion (``--completion_iters`` steps from ``--completion_candidates`` candidates) per
sketch at batch 1 and batch 16, in the exported SavedModel and in the float32 TFLite file.

    python benchmarks/contextual_gan.py                       # the paper's 500 steps, 10 candidates
    python benchmarks/contextual_gan.py --completion_iters=50 --runs=2   # a quick try

Random weights (timing does not depend on them). The training iteration is the loop's
compiled step on a random batch; the completion runs the endpoint the export ships (the
whole loop in one graph) on random sketches.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.export_latency import median_ms  # noqa: E402


def median_seconds(fn, runs):
    """Median wall-clock seconds of ``runs`` calls after one warm-up (tracing, kernel selection)."""
    return median_ms(fn, runs, warmup=1) / 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completion_iters", type=int, default=500)
    parser.add_argument("--completion_candidates", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=64, help="training batch")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from stargan_tf.export import export_bundle
    from stargan_tf.models.contextual_gan.config import ContextualGANConfig
    from stargan_tf.models.contextual_gan.system import ContextualGAN
    from stargan_tf.training.loop import LoopConfig, Trainer

    config = ContextualGANConfig(batch_size=args.batch_size, completion_iters=args.completion_iters,
                                 completion_candidates=args.completion_candidates)
    system = ContextualGAN(config)
    system.make_optimizers()
    strategy = tf.distribute.get_strategy()
    trainer = Trainer(system, strategy, None, tempfile.mkdtemp(), LoopConfig(num_iters=1), is_chief=False)
    rng = np.random.default_rng(0)
    batch = {"joint": tf.constant(rng.uniform(-1, 1, (args.batch_size, 64, 128, 3)).astype(np.float32))}

    def iteration():
        {name: float(value) for name, value in trainer.train_step(batch, 0).items()}

    train_seconds = median_seconds(iteration, args.runs)
    print(f"training iteration (D + G update), batch {args.batch_size}, 64x128: {train_seconds:.3f} s", flush=True)

    with tempfile.TemporaryDirectory() as export_dir:
        report = export_bundle(system.serving_bundle(), export_dir, tflite_quantizations=("float32",))
        signature = tf.saved_model.load(report["path"]).signatures["sketch2photo"]
        tflite = next(e for e in report["tflite"] if e["endpoint"] == "sketch2photo")
        runner = Interpreter(model_path=os.path.join(report["path"], tflite["file"])).get_signature_runner(
            "sketch2photo")
        rows = []
        for batch_size in (1, 16):
            sketches = rng.uniform(-1, 1, (batch_size, 64, 64, 3)).astype(np.float32)
            saved = median_seconds(lambda: signature(image=tf.constant(sketches))["translated"].numpy(), args.runs)
            rows.append((f"SavedModel sketch2photo, batch {batch_size}", saved, batch_size))
        # The TFLite file has batch 1 (fixed shapes): 16 sketches are 16 calls.
        one = rng.uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
        lite = median_seconds(lambda: runner(image=one), args.runs)
        rows.append(("TFLite float32 sketch2photo, batch 1", lite, 1))
    print(f"completion: {args.completion_iters} steps, {args.completion_candidates} candidates, "
          f"median of {args.runs} runs, {os.cpu_count()} CPUs")
    for name, seconds, count in rows:
        print(f"  {name:40s} {seconds:8.2f} s  ({seconds / count:.2f} s per sketch)")


if __name__ == "__main__":
    main()
