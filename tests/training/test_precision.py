"""--mixed_precision and --jit_compile: two iterations of every registered system with finite
losses, float32 outputs and weights. Each case (float16 with XLA, mirrored bfloat16) is one
subprocess (the Keras policy and the logical devices are global to a process) that trains
its systems in turn (every system with float16 and XLA; mirrored bfloat16 where replicas
exchange more than losses and gradients). Float32 without XLA is what every other test trains; float16 runs with
XLA only (its loss scaling and casts are the same without it, and each case costs the suite
about a minute and a half per six systems)."""

import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import procs  # noqa: E402


# XLA's CPU code generation with LLVM's optimisations off: these cases check that every step
# compiles and computes finite float32 results, not how fast the code runs; compiling took
# most of their time (three systems: 182 s of CPU at the default level, 111 s at 0).
XLA_QUICK_CODEGEN = {"XLA_FLAGS": "--xla_backend_optimization_level=0"}


def check_every_system_trains_with_finite_float32_losses(tmp_path, builtin_data, flags, systems=procs.ALL_SYSTEMS):
    results = procs.run_harness(systems=systems, run_dir=tmp_path / "run", out=tmp_path / "out",
                                num_iters=2, timeout=900, extra_env=XLA_QUICK_CODEGEN, **builtin_data, **flags)
    policy = flags.get("mixed_precision")
    for system, result in results.items():
        logs = result["logs"]
        assert "D/loss" in logs and "G/loss" in logs, (system, sorted(logs))
        assert all(math.isfinite(v) for v in logs.values()), (system, logs)
        # Outputs (final tanh, masks) are float32 under any policy; weights stay float32.
        assert result["output_dtypes"] == ["float32"], system
        assert result["variable_dtypes"] == ["float32"], system
        if policy:
            assert result["compute_dtype"] == policy.split("_")[1]
        expected_optimizer = "LossScaleOptimizer" if policy == "mixed_float16" else "FusedAdam"
        assert set(result["optimizer_types"].values()) == {expected_optimizer}, system


# One class per subprocess: ``--dist loadscope`` gives each class its own worker, so they run
# side by side; the longest first. XLA compiling every system's steps took 400 s in one
# process (the suite's longest unit), so the registry is split over two.
XLA_FLOAT16 = dict(mixed_precision="mixed_float16", jit="on")
_REGISTERED = procs.ALL_SYSTEMS.split(",")


class TestFloat16WithXLAFirstHalf:
    def test_every_system_trains_with_finite_float32_losses(self, tmp_path, builtin_data):
        check_every_system_trains_with_finite_float32_losses(tmp_path, builtin_data, XLA_FLOAT16,
                                                             ",".join(_REGISTERED[:len(_REGISTERED) // 2]))


class TestFloat16WithXLASecondHalf:
    def test_every_system_trains_with_finite_float32_losses(self, tmp_path, builtin_data):
        check_every_system_trains_with_finite_float32_losses(tmp_path, builtin_data, XLA_FLOAT16,
                                                             ",".join(_REGISTERED[len(_REGISTERED) // 2:]))


# The mirrored bfloat16 case's systems: where replicas exchange values of the compute dtype
# beyond the losses and gradients every system averages: synchronised batch statistics
# (SaGAN, Contextual GAN), batches of pairs and a clipped global gradient (DRIT), and the
# default system. U-GAT-IT and CycleGAN (instance norms only) run mixed precision in the
# float16 cases and mirrored in the replica-equivalence test; their compiles are the longest.
MIRRORED_MIXED_SYSTEMS = ",".join(["stargan", "drit", "sagan", "contextual_gan"])


class TestMirroredBfloat16:
    """XLA cannot reach logical CPU devices other than CPU:0, so --jit_compile is ignored for
    mirrored runs on CPU (Trainer._jit_mode): this case covers mirrored + bfloat16."""

    def test_every_system_trains_with_finite_float32_losses(self, tmp_path, builtin_data):
        check_every_system_trains_with_finite_float32_losses(
            tmp_path, builtin_data, dict(mixed_precision="mixed_bfloat16", strategy="mirrored", num_cpu_devices=2),
            MIRRORED_MIXED_SYSTEMS)
