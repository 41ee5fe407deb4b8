"""Keep TensorFlow's native start-up chatter off the user's terminal.

``TF_CPP_MIN_LOG_LEVEL`` does not reach the lines TensorFlow's C++ code logs before its
logging is initialised (the oneDNN notice, "Could not find cuda drivers", absl's "All log
messages before absl::InitializeLog()"), and on a machine without a GPU it logs
"failed call to cuInit" as an error, twice per process. Grappler logs "remapper failed" once
per compiled GAN step (it could not fuse a LeakyReLU gradient and kept that part of the graph
as it was; training is not affected). None of these means anything is wrong, and a new user
cannot tell. ``filter_native_stderr`` passes the process's stderr (file descriptor 2, which
C++ writes to directly) through a thread that drops exactly these lines and forwards
everything else unchanged. "cuInit" errors are kept when an NVIDIA driver is installed: there
they mean the GPU is unusable.
"""

import atexit
import os
import re
import threading

_ALWAYS = (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    r"^[IW]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\] ",  # C++ INFO / WARNING lines (absl format)
    r"^E\d{4} [\d:.]+\s+\d+ meta_optimizer\.cc:\d+\] remapper failed: ",
    r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$",
)
_WITHOUT_NVIDIA_DRIVER = (r"^E\d{4} [\d:.]+\s+\d+ cuda_platform\.cc:\d+\] failed call to cuInit",)


def has_nvidia_driver():
    return os.path.exists("/proc/driver/nvidia/version")


def noise_pattern(nvidia_driver):
    patterns = _ALWAYS + (() if nvidia_driver else _WITHOUT_NVIDIA_DRIVER)
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _forward(source, destination, noise):
    with os.fdopen(source, "rb") as lines:
        for line in lines:
            if not noise.search(line.decode("utf-8", "replace")):
                os.write(destination, line)


def filter_native_stderr():
    """Route file descriptor 2 through the noise filter until the process exits."""
    noise = noise_pattern(has_nvidia_driver())
    read_end, write_end = os.pipe()
    terminal = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    worker = threading.Thread(target=_forward, args=(read_end, terminal, noise), daemon=True)
    worker.start()

    def restore():
        os.dup2(terminal, 2)  # closes the pipe's last write end: the thread reads to the end
        worker.join(timeout=5)

    atexit.register(restore)
