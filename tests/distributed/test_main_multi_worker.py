"""`main.py --strategy=multi_worker` with two workers on 127.0.0.1: only the chief writes
checkpoints, logs, samples and the export into its --run_dir; the other worker's --run_dir
(a different folder here, as on a second machine) stays empty."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402


def test_main_two_workers_only_chief_writes(tmp_path, builtin_data):
    flags = procs.tiny_argv(procs.DEFAULT_SYSTEM, builtin_data, num_iters=4, model_save_step=2, sample_step=2,
                            batch_size=8, tflite_quantization="float32")
    for attempt in range(3):
        ports = procs.free_ports(2)
        workers = []
        for index in range(2):
            command = [sys.executable, os.path.join(procs.REPO, "main.py"), "--strategy=multi_worker",
                       f"--run_dir={tmp_path / f'run{index}'}", *flags]
            workers.append(subprocess.Popen(command, cwd=tmp_path, env=procs.env(
                TF_CONFIG=procs.tf_config(ports, index)), stdout=open(tmp_path / f"log{index}", "w"),
                stderr=subprocess.STDOUT))
        try:
            codes = [w.wait(600) for w in workers]
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
        logs = [open(tmp_path / f"log{i}").read() for i in range(2)]
        if codes == [0, 0] or not any("ddress already in use" in log for log in logs):
            break
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    chief = set(os.listdir(tmp_path / "run0"))
    assert {"checkpoints", "logs", "samples", "export"} <= chief, chief
    assert any(name.startswith("ckpt-4") for name in os.listdir(tmp_path / "run0" / "checkpoints"))
    other = set(os.listdir(tmp_path / "run1")) if os.path.exists(tmp_path / "run1") else set()
    assert not other, f"the non-chief worker wrote {sorted(other)} into its --run_dir"
