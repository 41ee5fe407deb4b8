"""Ctrl-C during training: the first SIGINT only asks the loop to stop after the iteration
(nothing is raised inside TensorFlow's code), a second raises KeyboardInterrupt at once, and
the previous handler comes back afterwards; a blocked SIGINT (inherited from a parent that
blocks it) is received while training; an ignored SIGINT stays ignored."""

import os
import signal

import pytest

from stargan_tf.training.interrupt import StopRequest


@pytest.fixture
def unblocked():
    """SIGINT handled as Python does by default and unblocked in this thread for the test (a
    pytest-xdist worker may ignore or block it: code under test elsewhere leaves it so), the
    handler and the mask restored after."""
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    yield
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    signal.signal(signal.SIGINT, handler)


def test_first_sigint_sets_the_flag_second_raises_and_the_handler_comes_back(capfd, unblocked):
    before = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
        assert "stopping after this iteration" in capfd.readouterr().err
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_a_blocked_sigint_is_received_while_training_and_blocked_again_after(unblocked):
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
    assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_an_ignored_sigint_stays_ignored(unblocked):
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopRequest() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            assert not stop.requested
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
