"""TensorFlow's native start-up chatter is kept off the terminal; real errors are not."""

import os
import subprocess
import sys

from stargan_tf.cli.native_log import noise_pattern

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795639645.422813   28545 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1795639645.423166   28545 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will "
    "not be used.",
    "E0000 00:00:1795639654.204816   28545 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: Mutation::Apply "
    "error: fanout 'gradient_tape/discriminator_3/leaky_re_lu_3_1/LeakyRelu/LeakyReluGrad' exist for missing node",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
]
CUINIT = ("E0000 00:00:1795639646.475592   28545 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
          "Failed call to cuInit: UNKNOWN ERROR (303)")
KEPT = [
    "error: --light is not a flag of --model=cyclegan.",
    "E0000 00:00:1795639654.204816   28545 direct_session.cc:12] Resource exhausted: OOM when allocating tensor",
    "Interrupted at iteration 7. The last checkpoint is iteration 6 in /runs/x/checkpoints; run the same command",
]


def test_the_noise_is_dropped_and_everything_else_kept():
    for nvidia_driver in (False, True):
        noise = noise_pattern(nvidia_driver)
        assert all(noise.search(line) for line in NOISE)
        assert not any(noise.search(line) for line in KEPT)
    assert noise_pattern(False).search(CUINIT)
    assert not noise_pattern(True).search(CUINIT), "with a driver installed, cuInit failing is news"


def test_main_py_stderr_passes_through_the_filter():
    script = ("import os, sys\n"
              "from stargan_tf.cli.native_log import filter_native_stderr\n"
              "filter_native_stderr()\n"
              f"os.write(2, {NOISE[1]!r}.encode() + b'\\n')\n"
              "print('error: kept', file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == "error: kept\n"
