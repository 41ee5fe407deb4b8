"""--mixed_precision and --jit_compile (issue #5, part 4): a few steps of every system with
finite float32 losses. Each case is a subprocess, since the Keras policy and logical devices
are global. StarGAN also runs the combinations (jit + float16, mirrored); U-GAT-IT and
CycleGAN run each flag alone."""

import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import procs  # noqa: E402

CASES = {
    "mixed_float16": dict(mixed_precision="mixed_float16"),
    "mixed_bfloat16": dict(mixed_precision="mixed_bfloat16"),
    "jit": dict(jit_compile=True),
    "mixed_float16_jit": dict(mixed_precision="mixed_float16", jit_compile=True),
    "mirrored_mixed_float16_jit": dict(mixed_precision="mixed_float16", jit_compile=True, strategy="mirrored",
                                       num_cpu_devices=2),
}


EXPECTED_LOSSES = {
    "stargan": {"D/loss", "D/loss_gp", "G/loss", "G/loss_rec"},
    "ugatit": {"d_loss", "d_cam", "g_loss", "g_cam", "g_cycle", "g_identity"},
    "cyclegan": {"d_loss", "g_loss", "g_cycle", "g_identity"},
}
SINGLE_FLAG_CASES = ("mixed_float16", "mixed_bfloat16", "jit")
RUNS = [("stargan", case) for case in sorted(CASES)] + [
    (system, case) for system in ("ugatit", "cyclegan") for case in SINGLE_FLAG_CASES]


@pytest.mark.parametrize("system, case", RUNS)
def test_steps_have_finite_float32_losses(tmp_path, system, case):
    flags = CASES[case]
    result = procs.run_harness(system=system, run_dir=tmp_path / "run", out=tmp_path / "out", num_iters=2,
                               n_critic=2, timeout=300, **flags)
    logs = result["logs"]
    assert EXPECTED_LOSSES[system] <= set(logs), sorted(logs)
    assert all(math.isfinite(v) for v in logs.values()), logs
    # The generator's output (final tanh) is float32 under any policy; weights stay float32.
    assert result["generator_dtype"] == "float32"
    assert result["variable_dtypes"] == ["float32"]
    policy = flags.get("mixed_precision")
    if policy:
        assert result["compute_dtype"] == policy.split("_")[1]
    expected_optimizer = "LossScaleOptimizer" if policy == "mixed_float16" else "Adam"
    assert set(result["optimizer_types"].values()) == {expected_optimizer}
