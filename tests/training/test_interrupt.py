"""Ctrl-C during training: the first SIGINT only asks the loop to stop after the iteration
(nothing is raised inside TensorFlow's code), a second raises KeyboardInterrupt at once, and
the previous handler comes back afterwards; an ignored SIGINT stays ignored."""

import os
import signal

import pytest

from stargan_tf.training.interrupt import StopRequest


def test_first_sigint_sets_the_flag_second_raises_and_the_handler_comes_back(capfd):
    before = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
        assert "stopping after this iteration" in capfd.readouterr().err
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_an_ignored_sigint_stays_ignored():
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopRequest() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            assert not stop.requested
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
