"""The development commands' environment (pure logic)."""

import sys

from scripts.ops.dev import command_env


def test_make_test_keeps_the_fuzz_tests_bounded_default():
    assert "FUZZ_EXAMPLES" not in command_env("test", {"HOME": "/home/x"})


def test_make_test_fuzz_raises_the_examples_unless_the_caller_chose():
    assert command_env("test-fuzz", {})["FUZZ_EXAMPLES"] == "200"
    assert command_env("test-fuzz", {"FUZZ_EXAMPLES": "1000"})["FUZZ_EXAMPLES"] == "1000"


def test_every_step_runs_with_this_python():
    assert command_env("lint", {"PYTHON": "/usr/bin/python2"})["PYTHON"] == sys.executable
