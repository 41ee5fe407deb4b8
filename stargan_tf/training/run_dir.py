"""What a training run may and may not do to its ``--run_dir``.

A run directory holds a user's checkpoints, so three rules protect it:

* **Nothing is written before every check has passed.** The data-check cache is written to a
  staging folder (seeded with the run's own cache) and moved in by ``commit``; the run
  record, logs and checkpoints are written by the trainer only after ``acquire``.
* **One training per run directory.** ``RunLock`` holds an exclusive ``flock`` on
  ``<run_dir>/.lock`` for the life of the process: the OS releases it when the process dies
  (``kill -9`` included), so a stale lock never blocks the next run. The file names the
  holder (host, process id, start time) for the refusal message. Advisory locks on network
  file systems depend on the file system; with several workers the chief holds the lock.
* **A failed write says which path and what to do** (``write_error``).
"""

import datetime
import errno
import fcntl
import os
import shutil
import socket
import tempfile

from stargan_tf.errors import UserError

LOCK_NAME = ".lock"
DATA_CHECKS = "data_checks"
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class RunDirError(UserError):
    """``--run_dir`` cannot be used (a file, read-only, full, or held by another training)."""


def check_usable(run_dir):
    """Raise ``RunDirError`` if ``run_dir`` is a file, or if its nearest existing folder
    cannot be written (permissions or a read-only file system); writes nothing."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise RunDirError(f"--run_dir={run_dir} is a file, not a folder; choose another --run_dir.")
    existing = os.path.abspath(run_dir)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise RunDirError(f"--run_dir={run_dir}: {existing} is a file, so the folder cannot be created.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunDirError(f"--run_dir={run_dir}: {existing} cannot be written (permissions or a read-only file "
                          "system); choose another --run_dir.")


def is_disk_full(error):
    """Whether an ``OSError`` or TensorFlow I/O error says the disk (or a file-size or quota
    limit) is full."""
    if getattr(error, "errno", None) in _FULL:
        return True
    return any(text in str(error) for text in ("No space left", "File too large", "quota exceeded"))


def write_error(path, error, kept=None):
    """A ``RunDirError`` for a failed write of ``path``, saying what survived (``kept``) and
    what to do."""
    kept = kept or "Nothing that existed before was changed."
    if is_disk_full(error):
        return RunDirError(f"Could not write {path}: the disk is full ({error}). {kept} Free some space and run "
                           "the same command again.")
    return RunDirError(f"Could not write {path} ({error}). {kept} Check the folder's permissions and free space, "
                       "then run the same command again.")


class RunLock:
    """An exclusive lock on a run directory for one training process (see module doc)."""

    def __init__(self, run_dir):
        self.path = os.path.join(run_dir, LOCK_NAME)
        self.handle = None

    def _holder(self):
        try:
            with open(self.path) as handle:
                return handle.read().strip() or "another process"
        except OSError:
            return "another process"

    def _refusal(self):
        return RunDirError(
            f"{os.path.dirname(self.path)} is in use by another training ({self._holder()}). Wait for it to "
            "finish (or stop it), or use another --run_dir. Nothing was changed.")

    def check_free(self):
        """Raise ``RunDirError`` now if a live process holds the lock (writes nothing)."""
        if not os.path.exists(self.path):
            return
        with open(self.path) as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise self._refusal() from None
            fcntl.flock(probe, fcntl.LOCK_UN)

    def acquire(self):
        """Create the run directory if needed, take the lock and record the holder."""
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            handle = open(self.path, "a+")
        except OSError as error:
            raise write_error(self.path, error) from error
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise self._refusal() from None
        started = datetime.datetime.now().isoformat(timespec="seconds")
        handle.seek(0)
        handle.truncate()
        handle.write(f"host {socket.gethostname()}, process {os.getpid()}, started {started}\n")
        handle.flush()
        self.handle = handle  # kept open: closing the file would release the lock

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class StagedDataChecks:
    """The data-check cache of a run (``<run_dir>/data_checks``), read from the run and
    written to a staging folder until ``commit`` copies it in (after every check passed)."""

    def __init__(self, run_dir):
        self.target = os.path.join(run_dir, DATA_CHECKS)
        self.directory = tempfile.mkdtemp(prefix="stargan-tf-data-checks-")
        if os.path.isdir(self.target):
            shutil.copytree(self.target, self.directory, dirs_exist_ok=True)

    def commit(self):
        try:  # file by file: copying the staging folder itself would give data_checks its 0700 mode
            os.makedirs(self.target, exist_ok=True)
            for name in os.listdir(self.directory):
                shutil.copyfile(os.path.join(self.directory, name), os.path.join(self.target, name))
        except OSError as error:
            raise write_error(self.target, error) from error
        self.discard()

    def discard(self):
        shutil.rmtree(self.directory, ignore_errors=True)
