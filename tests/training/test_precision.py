"""--mixed_precision and --jit_compile (issue #5, part 4): a few StarGAN steps with finite
losses. Each case is a subprocess, since the Keras policy and logical devices are global."""

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


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_have_finite_float32_losses(tmp_path, case):
    flags = CASES[case]
    result = procs.run_harness(run_dir=tmp_path / "run", out=tmp_path / "out", num_iters=2, n_critic=2,
                               **flags)
    logs = result["logs"]
    assert {"D/loss", "D/loss_gp", "G/loss", "G/loss_rec"} <= set(logs)
    assert all(math.isfinite(v) for v in logs.values()), logs
    # The generator's output (final tanh) is float32 under any policy; weights stay float32.
    assert result["generator_dtype"] == "float32"
    assert result["variable_dtypes"] == ["float32"]
    policy = flags.get("mixed_precision")
    if policy:
        assert result["compute_dtype"] == policy.split("_")[1]
    expected_optimizer = "LossScaleOptimizer" if policy == "mixed_float16" else "Adam"
    assert set(result["optimizer_types"].values()) == {expected_optimizer}
