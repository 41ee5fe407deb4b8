"""Ctrl-C during training as a request to stop between iterations.

Python turns SIGINT into a KeyboardInterrupt raised wherever the main thread happens to be:
inside TensorFlow's iterator or checkpoint code, a lock held, a thread left waiting (a run
interrupted there could hang at exit instead of stopping). ``StopRequest`` takes SIGINT
over while the loop runs: the first Ctrl-C only sets a flag, which the loop reads after each
iteration, then saves a checkpoint and stops; a second one stops at once, as before.
"""

import os
import signal
import threading


class StopRequest:
    """Context manager: ``requested`` becomes True at the first SIGINT; a second raises
    KeyboardInterrupt. A SIGINT blocked in the main thread is unblocked meanwhile. Outside
    the main thread, or where SIGINT is ignored (a background job of a shell script), it
    changes nothing."""

    def __init__(self):
        self.requested = False
        self._previous = None
        self._was_blocked = False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not signal.SIG_IGN:
                self._previous = previous
                signal.signal(signal.SIGINT, self._handle)
                # A blocked SIGINT is inherited through fork and exec: a process started by one
                # that blocks it (seen under pytest-xdist) would never see Ctrl-C.
                self._was_blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        # os.write, not print: the handler may run in the middle of a print to stderr, and
        # Python's buffered streams refuse re-entrant writes.
        os.write(2, b"\nCtrl-C: stopping after this iteration and saving a checkpoint (Ctrl-C again stops now, "
                    b"without saving).\n")

    def __exit__(self, *exc_info):
        if self._was_blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
            self._was_blocked = False
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False
