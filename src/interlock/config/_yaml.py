r"""YAML text → plain data plus the line of every key and value.

The loader must point at the exact line of a mistake, which ``yaml.safe_load`` forgets. So we
``compose`` the node graph (every node keeps its start mark) and convert it ourselves into
plain ``dict`` / ``list`` / scalars, recording the 1-based line of each value and each
mapping key under its path (``("validation", "rules", 2, "check")``).

Scalars are resolved with the **YAML 1.2 core schema**, the one Go's ``yaml.v3`` uses, not
PyYAML's YAML 1.1 default. This matters for configs written for the Go Interlock:
``deadline: 10:00`` stays the string ``"10:00"`` (YAML 1.1 reads base-60 ``600``),
``value: yes`` stays ``"yes"``, ``010`` is ten, and dates stay strings. Explicit tags are
limited to the JSON scalar types (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``).

What the raw YAML layer itself can get wrong becomes a :class:`ConfigProblem` here: syntax
errors (with the parser's line), duplicate keys (PyYAML silently keeps the last one),
non-string keys, unsupported tags, recursive aliases, alias bombs, lone surrogates
(``"\ud800"`` is half a UTF-16 pair, not a character, and cannot be stored or printed) and
nesting deeper than :data:`MAX_NESTING`. Nothing else escapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from interlock.errors import ConfigProblem

__all__ = ["YamlDocument", "YamlPath", "parse_yaml", "render_path"]

YamlPath = tuple[str | int, ...]
"""Where a value sits in the document: mapping keys and sequence indexes."""

MAX_NODES = 100_000
"""More converted nodes than this is an alias bomb, not a pipeline config."""

MAX_NESTING = 64
"""How many mappings and lists deep a document may nest (a pipeline needs about six).

Composing and converting recurse once per level, so the limit is what keeps any input,
``[[[[...`` a million deep included, a problem with a line rather than a ``RecursionError``.
libyaml stops at 1,000 levels by itself and the pure-Python parser is stopped here, at the
node and field past the limit; in a document over :data:`REWORD_LIMIT`, libyaml's stop is
the problem (its line, no field), so that no slow re-parse is needed.
"""

REWORD_LIMIT = 64 * 1024
"""Documents longer than this (in characters) keep libyaml's own wording of a syntax error.

The pure-Python parser takes about 5 s per MiB; past 64 KiB (a tenth of a second) a broken
file is reported in milliseconds instead, in libyaml's words, at the line libyaml found. Go's
``yaml.v3`` is a port of libyaml, so its verdict on such a file is Go's.
"""

_TAG = "tag:yaml.org,2002:"
_MERGE = f"{_TAG}merge"
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT_LIMIT = 2**64  # integers run from -2**63 (int64) to 2**64 - 1 (uint64), as in Go
_MAX_INT_DIGITS = 22  # 2**64 in octal; longer (after leading zeros) is out of range
_SURROGATE = re.compile("[\ud800-\udfff]")
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
_FLATTEN_FIX = "flatten this part: a pipeline config needs only a few levels"


class _CoreResolver(yaml.resolver.BaseResolver):
    """Implicit typing of plain scalars by the YAML 1.2 core schema (plus ``<<`` merges)."""


for _tag, _regex, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+0123456789."),
    ("null", _NULL, ["~", "n", "N", ""]),
    ("merge", re.compile(r"^(?:<<)$"), "<"),
):
    _CoreResolver.add_implicit_resolver(f"{_TAG}{_tag}", _regex, list(_first))


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _CoreResolver,
):
    """Composes nodes only; ``SafeConstructor`` is here for ``flatten_mapping`` (``<<``).

    Its composer recurses per level, so it stops at :data:`MAX_NESTING` (raising
    :class:`_TooDeepError`) rather than at Python's recursion limit.
    """

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _CoreResolver.__init__(self)
        self.nesting: list[str | int] = []
        """Where each open mapping or list sits; ``[0]`` is the root's (``"?"``)."""

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        """Compose one node, counting the mappings and lists it sits in."""
        if not self.check_event(yaml.events.CollectionStartEvent):
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        self.nesting.append(_path_part(index))
        try:
            if len(self.nesting) > MAX_NESTING:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _TooDeepError(int(mark.line) + 1, tuple(self.nesting[1:]))
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self.nesting.pop()


def _path_part(index: object) -> str | int:
    """Where the composer puts a node: under a key (its key node), at a list index, or "?"."""
    if isinstance(index, ScalarNode):
        return str(index.value)
    return index if isinstance(index, int) else "?"


def _c_loader_class() -> Callable[[str], Any] | None:
    """:class:`_Loader` on libyaml's C parser, when PyYAML was built with it."""
    if not yaml.__with_libyaml__:  # pragma: no cover - PyYAML wheels ship libyaml
        return None
    from yaml._yaml import CParser  # noqa: PLC0415 - only present with libyaml

    class _CLoader(CParser, yaml.constructor.SafeConstructor, _CoreResolver):
        """The same loader on libyaml's C parser: config loading is parsing-bound."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _CoreResolver.__init__(self)

    return _CLoader


_CLoader = _c_loader_class()


@dataclass(frozen=True, kw_only=True)
class YamlDocument:
    """A parsed document: plain ``data`` and the 1-based line of every path in it."""

    data: object
    value_lines: Mapping[YamlPath, int] = field(default_factory=dict)
    key_lines: Mapping[YamlPath, int] = field(default_factory=dict)
    invalid: frozenset[YamlPath] = frozenset()
    """Paths whose value was already reported here and replaced by ``None``."""
    reported: frozenset[str] = frozenset()
    """The field of every problem reported here (a dropped key's is its mapping's)."""

    def is_invalid(self, path: YamlPath) -> bool:
        """True when ``path`` or an ancestor was already reported by the YAML layer."""
        return any(path[:end] in self.invalid for end in range(len(path) + 1))

    def line(self, path: YamlPath) -> int:
        """The line of the value at ``path``.

        For a path that is not in the document (a missing required field), the line of the
        nearest ancestor's key (``pipeline:``), or of its value for a list item; else 1.
        """
        found = self.value_lines.get(path)
        for end in range(len(path) - 1, 0, -1):
            if found is not None:
                break
            found = self.key_lines.get(path[:end]) or self.value_lines.get(path[:end])
        return found if found is not None else 1

    def key_line(self, path: YamlPath) -> int:
        """The line of the key that names ``path`` (falls back to :meth:`line`)."""
        found = self.key_lines.get(path)
        return found if found is not None else self.line(path)


def render_path(path: YamlPath) -> str:
    """``("validation", "rules", 2, "check")`` → ``validation.rules[2].check``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class _TooLargeError(Exception):
    """Raised inside the converter when the node budget is spent."""


class _TooDeepError(Exception):
    """Raised inside the pure-Python composer at the first node past :data:`MAX_NESTING`."""

    def __init__(self, line: int, path: YamlPath) -> None:
        super().__init__(line, path)
        self.line = line
        self.path = path


@dataclass
class _Converter:
    """Walks a node graph once, collecting data, lines and problems."""

    source: str
    loader: yaml.constructor.SafeConstructor
    value_lines: dict[YamlPath, int] = field(default_factory=dict)
    key_lines: dict[YamlPath, int] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)
    invalid: set[YamlPath] = field(default_factory=set)
    active: set[int] = field(default_factory=set)
    count: int = 0

    def problem(
        self, node: Node, path: YamlPath, message: str, fix: str, *, replaced: bool = False
    ) -> None:
        """Record one problem located at ``node``; ``replaced``: its value becomes ``None``."""
        if replaced:
            self.invalid.add(path)
        self.problems.append(
            ConfigProblem(
                file=self.source,
                line=node.start_mark.line + 1,
                field=render_path(path),
                message=message,
                fix=fix,
            )
        )

    def convert(self, node: Node, path: YamlPath) -> object:
        """The plain value of ``node`` (``None`` where a problem was recorded)."""
        self.value_lines[path] = node.start_mark.line + 1
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLargeError
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.problem(
                node,
                path,
                "recursive alias",
                "an alias may not refer to its own parent",
                replaced=True,
            )
            return None
        if len(self.active) >= MAX_NESTING:  # ``active``: the mappings and lists around it
            message = f"nested more than {MAX_NESTING} levels deep"
            self.problem(node, path, message, _FLATTEN_FIX, replaced=True)
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.mapping(node, path) if isinstance(node, MappingNode) else None
        finally:
            self.active.discard(id(node))

    def mapping(self, node: MappingNode, path: YamlPath) -> dict[str, object]:
        """Convert a mapping node, resolving ``<<`` merges and rejecting duplicate keys."""
        own = {id(key) for key, _ in node.value if key.tag != _MERGE}
        try:
            self.loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            self.problem(
                node,
                path,
                f"invalid merge: {_describe(exc)}",
                "merge (<<) mappings only",
                replaced=True,
            )
            return {}
        result: dict[str, object] = {}
        seen_own: set[str] = set()
        for key_node, value_node in node.value:
            key = self.key(key_node, path)
            if key is None:
                continue
            if id(key_node) in own:
                if key in seen_own:
                    fix = "remove one of them: YAML keeps only the last"
                    self.problem(key_node, (*path, key), f"duplicate key {key!r}", fix)
                seen_own.add(key)
            self.key_lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node, (*path, key))
        return result

    def key(self, node: Node, path: YamlPath) -> str | None:
        """A mapping key as a string, or None (with a problem) when it is anything else."""
        if not isinstance(node, ScalarNode):
            self.problem(node, path, "a key must be a plain name", "write keys as plain names")
            return None
        if not node.value.isascii() and _has_surrogate(node.value):
            self.surrogate(node, path)
            return None
        try:
            value = _scalar_value(node.tag, node.value)
        except ValueError:
            value = None
        if isinstance(value, str):
            return value
        fix = f'quote it: "{node.value}"' if node.value else "write keys as plain names"
        self.problem(node, path, f"key {node.value or 'null'!r} is not a string", fix)
        return None

    def scalar(self, node: ScalarNode, path: YamlPath) -> object:
        """A scalar by its (resolved or explicit) tag, limited to the JSON types."""
        if not node.value.isascii() and _has_surrogate(node.value):  # isascii: O(1)
            self.surrogate(node, path, replaced=True)
            return None
        try:
            return _scalar_value(node.tag, node.value)
        except _ScalarError as exc:
            self.problem(node, path, str(exc), exc.fix, replaced=True)
            return None

    def surrogate(self, node: ScalarNode, path: YamlPath, *, replaced: bool = False) -> None:
        """Report a key or value holding a lone surrogate (only an escape can write one)."""
        code = ord(next(char for char in node.value if _has_surrogate(char)))
        fix = r"write the character itself, or one \U escape for it: \U0001F600, not \ud83d\ude00"
        self.problem(
            node, path, f"lone surrogate \\u{code:04x} is not a character", fix, replaced=replaced
        )


def _has_surrogate(text: str) -> bool:
    """True when ``text`` holds a UTF-16 surrogate code point."""
    return _SURROGATE.search(text) is not None


def _scalar_value(tag: str, text: str) -> object:
    """Construct a core-schema scalar. :raises _ScalarError: for other tags or bad text."""
    kind = tag.removeprefix(_TAG)
    if kind == "str":
        return text
    if kind == "null" and _NULL.match(text):
        return None
    if kind == "bool" and _BOOL.match(text):
        return text.lower() == "true"
    if kind == "int" and _INT.match(text):
        return _integer(text)
    if kind == "float" and _FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith(".inf"):
            return -math.inf if lowered.startswith("-") else math.inf
        return math.nan if lowered == ".nan" else float(text)
    msg = f"unsupported YAML value {text!r} tagged {tag}"
    raise _ScalarError(msg, "write a plain string, number, boolean or null")


def _integer(text: str) -> int:
    """A YAML integer in 64 bits (Go's ``int64`` or ``uint64``). :raises _ScalarError: if not.

    Bigger ones are refused before Python builds them: past 4,300 digits ``int`` and ``str``
    refuse them, past 1e308 ``float`` does, and a config has no use for either.
    """
    body = text.lstrip("+-")
    base = {"0o": 8, "0x": 16}.get(body[:2], 10)
    if len(text) <= 18:  # the common case, always in range: 18 digits, or 16 after 0x / 0o
        return int(body[2:] if base != 10 else text, base)
    digits = (body[2:] if base != 10 else body).lstrip("0") or "0"
    value = int(digits, base) if len(digits) <= _MAX_INT_DIGITS else _INT_LIMIT
    value = -value if text.startswith("-") else value
    if not -(_INT_LIMIT // 2) <= value < _INT_LIMIT:
        shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
        fix = "quote it to keep it as text, or write a float such as 1e30"
        raise _ScalarError(f"integer {shown} does not fit in 64 bits", fix)
    return value


class _ScalarError(ValueError):
    """A scalar that cannot be a config value, and how to write it instead."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


def _describe(exc: yaml.YAMLError) -> str:
    """The parser's own words, without its multi-line mark rendering."""
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        return ": ".join(parts) or "invalid YAML"
    if isinstance(exc, yaml.reader.ReaderError):
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        return f"unacceptable character #x{code:04x}: {exc.reason}"
    return str(exc) or "invalid YAML"


def _error_line(exc: yaml.YAMLError, text: str) -> int:
    """The 1-based line the parser complained about (1 when it gave none)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return int(mark.line) + 1
    if isinstance(exc, yaml.reader.ReaderError):
        return text.count("\n", 0, exc.position) + 1
    return 1


def parse_yaml(text: str, source: str) -> tuple[YamlDocument | None, list[ConfigProblem]]:
    """Parse one YAML document; the document is ``None`` only when it could not be parsed.

    An empty document parses to ``None`` data with no problem (the caller decides).
    """
    try:
        data, converter = _compose(text, source)
    except yaml.YAMLError as exc:
        fix = "check the indentation, quoting and colons near this line"
        line = _error_line(exc, text)
        return None, [_document_problem(source, line, _describe(exc), fix)]
    except _TooDeepError as exc:
        message = f"nested more than {MAX_NESTING} levels deep"
        problem = ConfigProblem(
            file=source,
            line=exc.line,
            field=render_path(exc.path),
            message=message,
            fix=_FLATTEN_FIX,
        )
        return None, [problem]
    except (RecursionError, _TooLargeError):
        fix = "simplify the document (deep nesting or alias expansion)"
        return None, [_document_problem(source, 1, "document is too large or deep", fix)]
    document = YamlDocument(
        data=data,
        value_lines=converter.value_lines,
        key_lines=converter.key_lines,
        invalid=frozenset(converter.invalid),
        reported=frozenset(problem.field for problem in converter.problems),
    )
    return document, converter.problems


def _compose(text: str, source: str) -> tuple[object, _Converter]:
    """Compose and convert the single document in ``text`` (raises ``yaml.YAMLError``).

    libyaml's C parser does the work (about 10x faster; 10,000 pipelines load at controller
    start). A document it rejects is parsed again by the pure-Python parser, whose error
    messages are the ones users see and tests pin, unless it is over :data:`REWORD_LIMIT`.
    """
    if _CLoader is not None:
        try:
            return _compose_with(_CLoader(text), source)
        except yaml.YAMLError as exc:
            if len(text) > REWORD_LIMIT:
                _raise_as_is(exc, text)
        except UnicodeEncodeError:  # surrogates in ``text``: the Python reader words them
            pass
    return _compose_with(_Loader(text), source)


def _raise_as_is(exc: yaml.YAMLError, text: str) -> NoReturn:
    """Raise libyaml's error unworded, its nesting limit (1,000) as ours, at libyaml's line."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem == _LIBYAML_TOO_DEEP:
        raise _TooDeepError(_error_line(exc, text), ()) from exc
    raise exc


def _compose_with(loader: Any, source: str) -> tuple[object, _Converter]:
    try:
        node = loader.get_single_node()
        converter = _Converter(source=source, loader=loader)
        return (None if node is None else converter.convert(node, ())), converter
    finally:
        loader.dispose()


def _document_problem(source: str, line: int, message: str, fix: str) -> ConfigProblem:
    """A problem with the document as a whole (no field path)."""
    return ConfigProblem(file=source, line=line, field="", message=message, fix=fix)
