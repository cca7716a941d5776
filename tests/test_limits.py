"""The input limits as a sensor meets them, without a database (what ``simulate`` reuses)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlock.errors import InputError
from interlock.model.limits import (
    MAX_JSON_DEPTH,
    MAX_KEY_LENGTH,
    MAX_PARTITION_LENGTH,
    MAX_PIPELINE_ID_LENGTH,
    MAX_READING_BYTES,
    MAX_REASON_LENGTH,
    CheckedReading,
    check_data,
    check_message,
    check_partition,
    check_reading,
    check_reason,
    parse_json,
)
from interlock.model.partitions import parse_partition


def nested(levels: int, *, inner: Any = 1) -> dict[str, Any]:
    """``{"a": {"a": ... inner}}`` with ``levels`` objects, built without recursion."""
    value: Any = inner
    for _ in range(levels):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


def refusal(key: object = "rows", partition: object = None, data: object = None) -> InputError:
    """The error ``check_reading`` raises for one reading (``data`` defaults to valid)."""
    with pytest.raises(InputError) as excinfo:
        check_reading(key, partition, {"count": 1} if data is None else data, where="r[0]")
    return excinfo.value


def test_a_plain_reading_resolves_key_partition_and_data() -> None:
    """The key suffix, the date fields and an explicit partition resolve as the store does."""
    assert check_reading("rows#20260303T07", None, {"n": 1}) == CheckedReading(
        key="rows", partition="2026-03-03T07", data={"n": 1}
    )
    assert check_reading("rows", None, {"date": "20260304"}).partition == "2026-03-04"
    assert check_reading("rows", " 2026-03-05|b=2|a=1 ", {}).partition == "2026-03-05|a=1|b=2"
    assert check_reading("rows", "", {}).partition is None


@pytest.mark.parametrize(
    ("key", "partition", "data", "field", "words"),
    [
        ("r\x00ws", None, None, "r[0].key", "U+0000"),
        ("rows\ud800", None, None, "r[0].key", "U+D800"),
        ("ro\nws", None, None, "r[0].key", "U+000A"),
        ("k" * (MAX_KEY_LENGTH + 1), None, None, "r[0].key", "the limit is 300 characters"),
        ("", None, None, "r[0].key", "must not be empty"),
        (17, None, None, "r[0].key", "must be a string, got int"),
        ("rows", 20261122, None, "r[0].partition", "must be a string such as 2026-11-22"),
        ("rows", "2026-11-22|a=\x00", None, "r[0].partition", "U+0000"),
        ("rows", "2026-11-22|a=\udc00", None, "r[0].partition", "U+DC00"),
        ("rows", "2026-02-30", None, "r[0].partition", "is not a partition"),
        ("rows", None, [1, 2], "r[0].data", "must be a JSON object, got list"),
        ("rows", None, {1: "a", "1": "b"}, "r[0].data", "keys must be strings, got int 1"),
        ("rows", None, {"a": {None: 1}}, "r[0].data", "got NoneType None"),
        ("rows", None, {"a": [{True: 1}]}, "r[0].data", "got bool True"),
        ("rows", None, {"x": float("nan")}, "r[0].data", "NaN and Infinity"),
        ("rows", None, {"x": [float("-inf")]}, "r[0].data", "NaN and Infinity"),
        ("rows", None, {"x": "\ud800"}, "r[0].data", "lone surrogate U+D800"),
        ("rows", None, {"\udfff": 1}, "r[0].data", "lone surrogate U+DFFF"),
        ("rows", None, {"x": {1, 2}}, "r[0].data", "set is not JSON serializable"),
        ("rows", None, {"x": 10**5000}, "r[0].data", "not JSON"),
    ],
    ids=[
        "nul-key",
        "surrogate-key",
        "newline-key",
        "long-key",
        "empty-key",
        "int-key",
        "int-partition",
        "nul-partition",
        "surrogate-partition",
        "bad-date",
        "list-data",
        "colliding-keys",
        "none-key",
        "bool-key",
        "nan",
        "infinity",
        "surrogate-value",
        "surrogate-data-key",
        "set-value",
        "huge-int",
    ],
)
def test_each_limit_is_refused_naming_the_field(
    key: object, partition: object, data: object, field: str, words: str
) -> None:
    """Every refusal is an InputError whose field and message say what to fix."""
    error = refusal(key, partition, data)
    assert error.field == field
    assert words in str(error)


def test_lengths_at_the_limit_are_accepted_and_one_more_is_refused() -> None:
    """300-character keys and 200-character partitions fit; 301 and 201 do not."""
    assert check_reading("k" * MAX_KEY_LENGTH, None, {}).key == "k" * MAX_KEY_LENGTH
    assert check_reading("k" * MAX_KEY_LENGTH + "#2026-03-03", None, {}).partition == "2026-03-03"
    head = "2026-11-22|a="
    exact = head + "x" * (MAX_PARTITION_LENGTH - len(head))
    assert check_partition(exact) == exact
    with pytest.raises(InputError, match="201 characters; the limit is 200"):
        check_partition(exact + "x")


def test_a_partition_that_grows_past_the_limit_when_canonical_is_refused() -> None:
    """``20261122`` becomes ``2026-11-22``: the stored form must fit too."""
    head = "20261122|a="
    text = head + "x" * (MAX_PARTITION_LENGTH - len(head))
    assert len(str(parse_partition(text))) == MAX_PARTITION_LENGTH + 2
    with pytest.raises(InputError, match="202 characters") as excinfo:
        check_partition(text, field="p")
    assert excinfo.value.field == "p"


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deep_data_is_refused_without_overflowing(levels: int) -> None:
    """Nesting past the limit is an InputError, not a RecursionError, however deep."""
    error = refusal(data=nested(levels))
    assert error.field == "r[0].data"
    assert "deeper than the limit of 64 levels" in str(error)


def test_data_at_the_depth_limit_is_accepted() -> None:
    """64 levels of objects and arrays is fine."""
    assert check_data(nested(MAX_JSON_DEPTH), field="d") == nested(MAX_JSON_DEPTH)
    deep_list: Any = 1
    for _ in range(MAX_JSON_DEPTH - 1):
        deep_list = [deep_list]
    assert check_data({"a": deep_list}, field="d") == {"a": deep_list}


def test_a_cycle_is_refused_as_too_deep() -> None:
    """A value containing itself cannot be JSON; the depth walk stops it."""
    data: dict[str, Any] = {}
    data["self"] = data
    with pytest.raises(InputError, match="deeper than the limit"):
        check_data(data, field="d")


def test_size_is_measured_as_compact_utf8_json() -> None:
    """Exactly 1 MiB of JSON fits; one byte more, or a 50 MB reading, is refused."""
    filler = MAX_READING_BYTES - len('{"a":""}')
    assert check_data({"a": "x" * filler}, field="d") == {"a": "x" * filler}
    with pytest.raises(InputError, match=r"1,048,577 bytes as JSON; the limit is 1,048,576"):
        check_data({"a": "x" * (filler + 1)}, field="d")
    with pytest.raises(InputError, match="the limit is 1,048,576 bytes"):
        check_data({"a": "é" * (filler // 2 + 1)}, field="d")  # 2 bytes each in UTF-8
    with pytest.raises(InputError, match="the limit is 1,048,576 bytes"):
        check_data({"blob": "x" * 50_000_000}, field="d")


def test_many_small_values_are_refused_before_encoding() -> None:
    """A huge list of tiny values is stopped by the walk's element budget."""
    with pytest.raises(InputError, match="more than 524,288 values"):
        check_data({"a": [0] * (MAX_READING_BYTES // 2 + 1)}, field="d")


def test_the_checked_data_is_a_copy() -> None:
    """Changing the caller's dict later does not change what was checked."""
    original = {"count": 1}
    checked = check_data(original, field="d")
    original["count"] = 2
    assert checked == {"count": 1}


def test_reasons_and_messages() -> None:
    """A rerun reason fits the attempts column; messages may span lines but hold no NUL."""
    assert check_reason("backfill") == "backfill"
    with pytest.raises(InputError, match="the limit is 100"):
        check_reason("x" * 101)
    assert check_message("line one\nline two\t", field="message") == "line one\nline two\t"
    with pytest.raises(InputError, match=r"U\+0000") as excinfo:
        check_message("bad\x00", field="message")
    assert excinfo.value.field == "message"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than the limit of 64"),
        ('{"a": ' * 1_000 + "1" + "}" * 1_000, "nested deeper than the limit of 64"),
        ('{"a": 1, "a": 2}', "the key 'a' twice"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ("[Infinity]", "Infinity is not a JSON number"),
        ('"' + "x" * MAX_READING_BYTES + '"', "the limit is 1,048,576 bytes"),
    ],
    ids=["deep-array", "deep-object", "duplicate-key", "nan", "infinity", "too-large"],
)
def test_json_text_is_refused_before_it_is_parsed(text: str, words: str) -> None:
    """JSON from a user: limits are checked on the text; json.loads never overflows."""
    with pytest.raises(InputError, match=words) as excinfo:
        parse_json(text, field="--json")
    assert excinfo.value.field == "--json"


def test_brackets_inside_json_strings_do_not_count_as_depth() -> None:
    """Only real nesting counts: a string full of brackets is a flat value."""
    text = json.dumps({"a": "[" * 500, "b": '\\"[[[', "c": [[1]]})
    assert parse_json(text, field="f") == json.loads(text)


def test_text_that_is_not_json_is_a_decode_error() -> None:
    """Callers decide what non-JSON means (the CLI keeps ``note=hello`` a string)."""
    with pytest.raises(json.JSONDecodeError):
        parse_json("hello", field="f")


def test_the_readme_documents_the_limits_in_force() -> None:
    """The README's limits table states the values the code enforces."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"| sensor key | 1 to {MAX_KEY_LENGTH} characters" in readme
    assert (
        f"| partition, pipeline id, rerun reason | at most {MAX_PARTITION_LENGTH}, "
        f"{MAX_PIPELINE_ID_LENGTH}, {MAX_REASON_LENGTH} characters |"
    ) in readme
    assert f"at most {MAX_JSON_DEPTH} levels deep and 1 MiB" in readme
    assert MAX_READING_BYTES == 1 << 20
