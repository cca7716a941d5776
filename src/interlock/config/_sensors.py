"""Read ``sensors:``: the state checkers Interlock runs itself, in a pipeline or shared.

Each entry names the ``key`` its readings carry, how often it looks (``every``, at least
:data:`MIN_EVERY`) and exactly one kind: a block named after a built-in kind (``sql``,
``path``, ``http``, ``command``) or ``kind: NAME`` with ``config:`` for a checker registered
through the ``interlock.checkers`` entry point. The block is kept as the kind's ``config``,
as written; two short forms are widened here so every kind gets a mapping:
``path: "file:///data/_SUCCESS"`` (and ``http: URL``) become ``{url: ...}``, and
``command: [./check.sh, ${partition}]`` becomes ``{command: [...]}``.

What the structure can get wrong is reported here with its line and a fix: a missing or
malformed key, the same key twice, ``every`` below ten seconds, a ``timeout`` longer than
``every``, a ``heartbeat`` shorter than it, a ``concurrency`` outside 1..64, no kind or two
kinds, and an unknown key (with a did-you-mean, so ``sqll:`` suggests ``sql``). What only a
kind knows (a query without a partition column, an unsupported URL scheme) is the checker
class's: :func:`sensor_config_problems` hands each config to its kind's factory (given by a
layer above, as config may not import the checkers) and words an ``InputError`` as a
problem at that entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from interlock.config._check import Checker, suggestion
from interlock.config._yaml import YamlPath, render_path
from interlock.errors import ConfigProblem, InputError
from interlock.model.checkers import (
    DEFAULT_HEARTBEAT,
    DEFAULT_HORIZON,
    DEFAULT_TIMEOUT,
    SensorCheckSpec,
)
from interlock.model.limits import FORBIDDEN_CHARACTERS, MAX_KEY_LENGTH
from interlock.model.partitions import split_key

__all__ = [
    "BUILTIN_KINDS",
    "MAX_CONCURRENCY",
    "MIN_EVERY",
    "SENSOR_ENTRY_KEYS",
    "read_sensors",
    "read_shared_sensors",
    "sensor_config_problems",
]

BUILTIN_KINDS = ("sql", "path", "http", "command")
"""The checker kinds Interlock ships, each written as a block named after it."""

MIN_EVERY = timedelta(seconds=10)
"""The shortest ``every``: a checker polling faster is a load test on someone's warehouse."""

MAX_CONCURRENCY = 64
"""The most checks of one checker running at once (per-partition kinds)."""

DEFAULT_CONCURRENCY = 4
"""Checks of one checker at once when the entry does not say."""

_OPTION_KEYS = ("every", "timeout", "heartbeat", "horizon", "concurrency")
SENSOR_ENTRY_KEYS = ("key", *_OPTION_KEYS, *BUILTIN_KINDS, "kind", "config")
"""The keys of one ``sensors:`` entry, in the order the docs write them."""

_SHARED_KEYS = ("sensors", "description")
_KIND_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_KIND_FIX = "add one of `sql:`, `path:`, `http:`, `command:`, or `kind: NAME` with `config:`"
_ENTRY_FIX = "write `- key: output` with `every: 5m` and one kind block (`sql:`, `path:`, …)"
_URL_KINDS = ("path", "http")


def read_sensors(
    c: Checker, raw: object, *, pipeline_id: str | None, path: YamlPath = ("sensors",)
) -> tuple[SensorCheckSpec, ...]:
    """``sensors``: one spec per valid entry, every problem reported (``()`` when absent).

    ``pipeline_id`` None reads a shared file (``sensors/*.yaml``): its checkers belong to
    no pipeline, and their readings are shared ones.
    """
    if raw is None:
        if c.doc.key_lines.get(path) is not None:
            c.report(path, "is empty", f"list checkers under it ({_ENTRY_FIX})", at_key=True)
        return ()
    items = c.sequence(path, raw)
    if items is None:
        return ()
    specs: list[SensorCheckSpec] = []
    first_lines: dict[str, int] = {}
    for index, item in enumerate(items):
        spec = _entry(c, (*path, index), item, pipeline_id)
        if spec is None:
            continue
        if spec.key in first_lines:
            message = f"checker key `{spec.key}` is already checked (line {first_lines[spec.key]})"
            fix = "give each checker its own key, or merge the two entries"
            c.report((*path, index, "key"), message, fix)
            continue
        first_lines[spec.key] = spec.line
        specs.append(spec)
    return tuple(specs)


def read_shared_sensors(c: Checker, data: object) -> tuple[SensorCheckSpec, ...]:
    """A shared file: a ``sensors:`` list (and an optional ``description``), no pipeline."""
    if data is not None and not isinstance(data, dict):
        fix = "start the file with `sensors:` and list checkers under it"
        c.expect((), data, "a mapping", fix, line=1)
        return ()
    root = c.mapping((), data or {}, _SHARED_KEYS) or {}
    c.string(("description",), root.get("description"))
    if "sensors" not in root:
        fix = "add `sensors:` at the top level with checkers under it"
        c.report(("sensors",), "missing required field", fix, line=1)
        return ()
    return read_sensors(c, root.get("sensors"), pipeline_id=None)


def _entry(
    c: Checker, path: YamlPath, raw: object, pipeline_id: str | None
) -> SensorCheckSpec | None:
    """One checker entry, or None when it has a problem (each one reported)."""
    if raw is None:
        c.report(path, "empty list item", _ENTRY_FIX)
        return None
    before = len(c.problems)
    entry = c.mapping(path, raw, SENSOR_ENTRY_KEYS)
    if entry is None:
        return None
    key = _key(c, (*path, "key"), entry.get("key"))
    every = _every(c, (*path, "every"), entry.get("every"))
    options = _options(c, path, entry, every)
    strangers = isinstance(raw, dict) and any(k not in SENSOR_ENTRY_KEYS for k in raw)
    kind_config = _kind_and_config(c, path, entry, quiet_if_none=strangers)
    if key is None or every is None or kind_config is None or len(c.problems) > before:
        return None
    kind, config = kind_config
    timeout, heartbeat, horizon, concurrency = options
    return SensorCheckSpec(
        key=key,
        kind=kind,
        every=every,
        config=config,
        pipeline_id=pipeline_id,
        timeout=timeout,
        heartbeat=heartbeat,
        horizon=horizon,
        concurrency=concurrency,
        source=c.source,
        line=c.doc.key_line((*path, "key")),
    )


def _key(c: Checker, path: YamlPath, raw: object) -> str | None:
    """``key``: what the readings are called, as a rule names it; no ``#date`` suffix."""
    key = c.string(path, raw, required=True)
    if key is None:
        return None
    if key != key.strip():
        c.report(path, f"{key!r} has spaces around it", f"write `key: {key.strip()}`")
        return None
    if FORBIDDEN_CHARACTERS.search(key):
        c.report(path, "holds a control character", "use letters, digits, `-`, `_` and `.`")
        return None
    if len(key) > MAX_KEY_LENGTH:
        message = f"is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
        c.report(path, message, "use a shorter key")
        return None
    if split_key(key)[1] is not None:
        message = f"`{key}` ends in a date suffix; a checker's readings carry their partition"
        c.report(path, message, f"write `key: {split_key(key)[0]}`")
        return None
    return key


def _every(c: Checker, path: YamlPath, raw: object) -> timedelta | None:
    """``every``: required, at least :data:`MIN_EVERY`."""
    if raw is None:
        c.report(path, "missing required field", "add `every: 5m` (how often to look)", at_key=True)
        return None
    every = c.duration(path, raw)
    if every is not None and every < MIN_EVERY:
        message = f"{raw} is below the minimum of 10s"
        c.report(path, message, "use every: 10s or more; a minute is usually plenty")
        return None
    return every


def _options(
    c: Checker, path: YamlPath, entry: Mapping[str, object], every: timedelta | None
) -> tuple[timedelta, timedelta, timedelta, int]:
    """``timeout`` (≤ every), ``heartbeat`` (≥ every), ``horizon`` and ``concurrency``.

    Without a ``timeout``, a check gets :data:`DEFAULT_TIMEOUT` or ``every`` if shorter: a
    check still running when the next one is due is late either way.
    """
    timeout = c.duration((*path, "timeout"), entry.get("timeout"))
    heartbeat = c.duration((*path, "heartbeat"), entry.get("heartbeat"))
    horizon = c.duration((*path, "horizon"), entry.get("horizon"), allow_zero=True)
    concurrency = c.integer((*path, "concurrency"), entry.get("concurrency"), 1, MAX_CONCURRENCY)
    if every is not None and timeout is not None and timeout > every:
        message = f"{entry.get('timeout')} is longer than every ({entry.get('every')})"
        fix = "a check must end before the next is due: lower timeout, or raise every"
        c.report((*path, "timeout"), message, fix)
    if every is not None and heartbeat is not None and heartbeat < every:
        message = f"{entry.get('heartbeat')} is shorter than every ({entry.get('every')})"
        fix = "a reading can only be repeated when a check runs: use a heartbeat ≥ every"
        c.report((*path, "heartbeat"), message, fix)
    default_timeout = min(DEFAULT_TIMEOUT, every) if every is not None else DEFAULT_TIMEOUT
    return (
        timeout or default_timeout,
        heartbeat or DEFAULT_HEARTBEAT,
        DEFAULT_HORIZON if horizon is None else horizon,
        concurrency or DEFAULT_CONCURRENCY,
    )


def _kind_and_config(
    c: Checker, path: YamlPath, entry: Mapping[str, object], *, quiet_if_none: bool
) -> tuple[str, dict[str, Any]] | None:
    """The entry's one kind and its config mapping; a problem for none, two, or a bad one.

    ``quiet_if_none``: the entry has an unknown key, already reported with a did-you-mean
    (``sqll`` → ``sql``); "names no kind" on top would only repeat it.
    """
    blocks = [kind for kind in BUILTIN_KINDS if kind in entry]
    custom = "kind" in entry
    named = [*blocks, "kind"] if custom else blocks
    if len(named) > 1:
        shown = " and ".join(f"`{kind}`" for kind in named)
        message = f"has {len(named)} kinds ({shown}); a checker has one"
        fix = "split it into one entry per kind, each with its own key"
        c.report(path, message, fix, line=c.doc.key_line((*path, named[1])))
        return None
    if "config" in entry and not custom:
        fix = "write the settings under the kind (`sql:`, `path:`, …), or add `kind: NAME`"
        c.report((*path, "config"), "needs `kind:` (whose config is it?)", fix, at_key=True)
        return None
    if custom:
        return _custom(c, path, entry)
    if not blocks and quiet_if_none:
        return None
    if not blocks:
        c.report(path, "names no checker kind", _KIND_FIX, line=c.doc.key_line((*path, "key")))
        return None
    config = _block(c, (*path, blocks[0]), blocks[0], entry[blocks[0]])
    return None if config is None else (blocks[0], config)


def _block(c: Checker, path: YamlPath, kind: str, raw: object) -> dict[str, Any] | None:
    """A built-in kind's block as a mapping (short forms widened, see the module doc)."""
    if isinstance(raw, dict):
        return dict(raw)
    if kind in _URL_KINDS and isinstance(raw, str) and raw.strip():
        return {"url": raw}
    if kind == "command" and isinstance(raw, list) and raw:
        return {"command": list(raw)}
    if kind == "command":
        fix = 'write the argv as a list, e.g. `command: ["./check.sh", "${partition}"]`'
        if isinstance(raw, str):
            c.report(path, "must be a list (argv, run without a shell), got a string", fix)
        else:
            c.report(path, "must be a non-empty list (argv)" if raw == [] else "is empty", fix)
        return None
    if kind in _URL_KINDS and raw not in (None, ""):
        c.expect(path, raw, "a mapping or a URL", f"write `{kind}: {{url: ...}}`")
        return None
    fix = f"write the {kind} settings under it, e.g. `{kind}: {{url: ...}}`"
    if raw is None or raw == "":
        c.report(path, "is empty", fix, at_key=True)
    else:
        c.expect(path, raw, "a mapping", fix)
    return None


def _custom(
    c: Checker, path: YamlPath, entry: Mapping[str, object]
) -> tuple[str, dict[str, Any]] | None:
    """``kind: NAME`` with ``config:``: a registered checker (or a built-in, spelt so)."""
    name = c.string((*path, "kind"), entry.get("kind"), required=True)
    raw = entry.get("config")
    config: dict[str, Any] | None = {}
    if isinstance(raw, dict):
        config = dict(raw)
    elif raw is not None:
        c.expect((*path, "config"), raw, "a mapping", "write the checker's settings as key: value")
        config = None
    if name is None or config is None:
        return None
    if not _KIND_NAME.match(name):
        fix = "name the entry point, e.g. `kind: snowflake` (letters, digits, `_`, `-`, `.`)"
        c.report((*path, "kind"), f'"{name}" is not a checker kind name', fix)
        return None
    near = suggestion(name, BUILTIN_KINDS, listing="")
    if name not in BUILTIN_KINDS and near.startswith("did you mean"):
        fix = f"{near} (or register `{name}` under the `interlock.checkers` entry point)"
        c.report((*path, "kind"), f'unknown checker kind "{name}"', fix)
        return None
    return name, config


def sensor_config_problems(
    specs: Iterable[SensorCheckSpec], factory_for: Callable[[str], Callable[[Any], Any]]
) -> list[ConfigProblem]:
    """What each checker's own class says about its config, as problems at its entry.

    ``factory_for(kind)`` is :func:`interlock.checkers.registry.checker_factory`, passed in
    by a layer above (config sits below the checkers and may not import them). The classes
    know what their config needs; an ``InputError`` from one, or from ``factory_for`` for a
    kind nobody registered, becomes a problem at the entry's ``key`` line, its field naming
    the setting (``sensors[0].sql.query``). A checker built is closed at once.
    """
    problems: list[ConfigProblem] = []
    index_in_file: dict[str, int] = {}
    for spec in specs:
        index = index_in_file.get(spec.source, 0)
        index_in_file[spec.source] = index + 1
        try:
            checker = factory_for(spec.kind)(spec.config)
        except InputError as exc:
            block = spec.kind if spec.kind in BUILTIN_KINDS else "config"
            field = render_path(("sensors", index, block, *([exc.field] if exc.field else [])))
            message = str(exc).removeprefix(f"{exc.field}: ") if exc.field else str(exc)
            fix = "see docs/checkers.md for this kind's settings"
            problems.append(
                ConfigProblem(
                    file=spec.source, line=spec.line, field=field, message=message, fix=fix
                )
            )
            continue
        checker.close()
    return problems
