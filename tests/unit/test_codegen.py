"""The generated hot-path functions keep their source for tracebacks (``_codegen.define``)."""

from __future__ import annotations

import traceback

import pytest

from conversations_async._codegen import define
from conversations_async.errors import InvalidArgumentError
from conversations_async.resources._participant_spec import CREATE


def _failure(call: object) -> str:
    assert callable(call)
    try:
        call()
    except Exception:
        return traceback.format_exc()
    raise AssertionError("it did not raise")


def test_a_traceback_through_a_generated_function_shows_its_line() -> None:
    divide = define("def divide(x):\n  return 1 // x\n", "divide", {}, "divide")
    text = _failure(lambda: divide(0))
    assert "<divide #" in text
    assert "return 1 // x" in text


def test_two_functions_under_one_label_keep_their_own_lines() -> None:
    first = define("def f():\n  raise KeyError('first')\n", "same", {}, "f")
    second = define("def f():\n  raise KeyError('second')\n", "same", {}, "f")
    assert "raise KeyError('first')" in _failure(first)
    assert "raise KeyError('second')" in _failure(second)


def test_a_refused_argument_shows_the_encoders_line_that_checked_it() -> None:
    arguments = {"conversation": "CH" + "c" * 32, "identity": 5}
    with pytest.raises(InvalidArgumentError):
        CREATE.request(None, arguments)
    text = _failure(lambda: CREATE.request(None, arguments))
    assert "<encode NewParticipant #" in text
    assert "text = _encode0(prefix + 'identity', value)" in text
