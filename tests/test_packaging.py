"""The package installs as a package: ``pip install .`` builds a wheel holding every
subpackage with the pinned requirements as dependencies and the ``stargan-tf`` console
script, and ``stargan_tf`` then imports from any folder, not only the repository root."""

import os
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def test_wheel_installs_imports_elsewhere_and_has_the_console_script(tmp_path):
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(os.path.join(ROOT, "stargan_tf"), source / "stargan_tf",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source)
    # No build isolation: setuptools and wheel come with TensorFlow's requirements.
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
         str(source)])
    (wheel,) = (tmp_path / "dist").iterdir()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    packages = {os.path.relpath(d, ROOT) for d, _, files in os.walk(os.path.join(ROOT, "stargan_tf"))
                if "__init__.py" in files}
    assert {f"{package}/__init__.py" for package in packages} <= names
    for line in open(os.path.join(ROOT, "requirements.txt")):
        if line.strip() and not line.startswith("#"):
            assert f"Requires-Dist: {line.strip()}" in metadata
    assert "stargan-tf = stargan_tf.cli.main:console" in entry_points

    target = tmp_path / "installed"
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target))
    done = run([sys.executable, "-c", "import stargan_tf.models.registry as r, stargan_tf.cli.flags; "
                                      "print(stargan_tf.cli.flags.__file__, sorted(r.REGISTRY))"],
               cwd=elsewhere, env=env)
    assert done.stdout.startswith(str(target)), done.stdout
    script = subprocess.run([str(target / "bin" / "stargan-tf"), "--model=cyclegan", "--light"], cwd=elsewhere,
                            env=env, capture_output=True, text=True, timeout=300)
    assert script.returncode == 2 and "--light is not a flag of --model=cyclegan" in script.stderr
