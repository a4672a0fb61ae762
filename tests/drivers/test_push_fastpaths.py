"""The push path's JSON decoding through orjson gives exactly what json.loads gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.gates.hikvision.events import DecodeError, _loads, decode_body

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


def _outcome(fn: Any, data: bytes) -> tuple[str, Any]:
    try:
        value = fn(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return "error", type(exc).__name__
    return "value", json.dumps(value, sort_keys=True, default=repr)  # NaN != NaN: compare the texts


@given(_JSON, st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]), st.booleans())
def test_loads_is_json_loads_for_documents(value: Any, encoding: str, ascii_only: bool) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only).encode(encoding)
    assert _outcome(_loads, data) == _outcome(json.loads, data)


@given(st.binary(max_size=40) | st.sampled_from([
    b'{"a": 1, "a": 2}', b"[NaN, Infinity, -Infinity]", b'"\\ud800"', b"123456789012345678901234567890",
    b"1e400", b'{"a": "\xff"}', b"\xef\xbb\xbf{}", b" {} ", b'{"a":\t1}\n', b"-0", b"1.0e-400", b"[1,]",
]))
def test_loads_agrees_with_json_loads_on_any_bytes(data: bytes) -> None:
    assert _outcome(_loads, data) == _outcome(json.loads, data)


def test_a_body_orjson_refuses_is_still_decoded_or_refused_as_before() -> None:
    with pytest.raises(DecodeError, match="bad JSON"):
        decode_body("application/json", b'{"eventType": ', None)  # type: ignore[arg-type]
