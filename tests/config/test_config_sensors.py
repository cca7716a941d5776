"""``sensors:``: every accepted form of a checker entry, and every mistake with its line and fix.

Error rows are pipelines with exactly one mistake; line 1 is ``pipeline: {id: p}``, line 2
the job, line 3 ``sensors:`` and the first entry starts on line 4.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from config_support import Expected, assert_problem, assert_sound, case

from interlock.checkers.project import project_checkers
from interlock.config import (
    load_pipelines,
    load_sensors,
    parse_pipeline,
    parse_shared_sensors,
    sensor_config_problems,
    shared_sensors_dir,
)
from interlock.config.loader import config_files
from interlock.errors import ConfigError, InputError
from interlock.model.checkers import DEFAULT_HEARTBEAT, DEFAULT_HORIZON, DEFAULT_TIMEOUT

HEAD = "pipeline: {id: p}\njob: {type: mock}\nsensors:\n"
SQL = "    sql: {url: 'sqlite:///w.db', query: select 1}\n"


def entry(body: str) -> str:
    """A pipeline whose ``sensors:`` holds ``body`` (indented list items)."""
    return HEAD + body


# fmt: off
ACCEPTED = [
    pytest.param("  - key: output\n    every: 5m\n" + SQL, "sql",
                 {"url": "sqlite:///w.db", "query": "select 1"}, id="sql-block"),
    pytest.param("  - {key: raw, every: 2m, path: {url: 'file:///d/${date}/_SUCCESS'}}\n",
                 "path", {"url": "file:///d/${date}/_SUCCESS"}, id="path-block"),
    pytest.param("  - {key: raw, every: 2m, path: 's3://b/${date}/_SUCCESS'}\n",
                 "path", {"url": "s3://b/${date}/_SUCCESS"}, id="path-short-url"),
    pytest.param("  - {key: feed, every: 1m, http: {url: 'https://x/api', "
                 "fields: {status: $.status}}}\n", "http",
                 {"url": "https://x/api", "fields": {"status": "$.status"}}, id="http-block"),
    pytest.param("  - {key: feed, every: 1m, http: 'https://x/api'}\n", "http",
                 {"url": "https://x/api"}, id="http-short-url"),
    pytest.param("  - {key: custom, every: 10m, command: ['./check.sh', '${partition}']}\n",
                 "command", {"command": ["./check.sh", "${partition}"]}, id="command-argv"),
    pytest.param("  - {key: custom, every: 10m, command: {command: [./c.sh], env: {A: b}}}\n",
                 "command", {"command": ["./c.sh"], "env": {"A": "b"}}, id="command-mapping"),
    pytest.param("  - {key: snow, every: 10m, kind: snowflake, config: {table: t}}\n",
                 "snowflake", {"table": "t"}, id="custom-kind"),
    pytest.param("  - {key: ping, every: 10m, kind: my_company.ping}\n",
                 "my_company.ping", {}, id="custom-kind-no-config"),
    pytest.param("  - {key: output, every: 5m, kind: sql, config: {url: 'sqlite://'}}\n",
                 "sql", {"url": "sqlite://"}, id="builtin-spelt-as-kind"),
]
# fmt: on


@pytest.mark.parametrize(("body", "kind", "config"), ACCEPTED)
def test_each_accepted_form_gives_its_kind_and_config(
    body: str, kind: str, config: dict[str, Any]
) -> None:
    """Every way of writing a checker yields one spec with the kind and a config mapping."""
    (check,) = parse_pipeline(entry(body), source="p.yaml").sensors
    assert (check.kind, dict(check.config)) == (kind, config)
    assert (check.pipeline_id, check.source, check.line) == ("p", "p.yaml", 4)


def test_options_default_and_override() -> None:
    """Absent options take the documented defaults; written ones are kept as written."""
    text = entry(
        "  - {key: a, every: 5m, path: x}\n"
        "  - {key: b, every: 10s, path: x}\n"
        "  - {key: c, every: 1h, timeout: 2m, heartbeat: 6h, horizon: 0s, concurrency: 64,"
        " path: x}\n"
    )
    a, b, c = parse_pipeline(text, source="p.yaml").sensors
    assert (a.timeout, a.heartbeat, a.horizon, a.concurrency) == (
        DEFAULT_TIMEOUT,
        DEFAULT_HEARTBEAT,
        DEFAULT_HORIZON,
        4,
    )
    assert b.timeout == timedelta(seconds=10)  # the default never outlasts `every`
    assert (c.timeout, c.heartbeat, c.horizon, c.concurrency) == (
        timedelta(minutes=2),
        timedelta(hours=6),
        timedelta(0),
        64,
    )
    assert c.label == "p/c"


def test_checker_keys_are_not_read_keys() -> None:
    """A checker produces its key; only rules (and dimensions) make a pipeline read one."""
    text = entry("  - {key: output, every: 5m, path: x}\n")
    spec = parse_pipeline(text, source="p.yaml")
    assert "output" not in spec.sensor_keys


def test_no_sensors_section_means_no_checkers() -> None:
    """A pipeline without ``sensors`` (every Go config) has none; an empty list is fine."""
    assert parse_pipeline("pipeline: {id: p}\n").sensors == ()
    assert parse_pipeline("pipeline: {id: p}\nsensors: []\n").sensors == ()


# fmt: off
ERRORS = [
    case(HEAD.removesuffix("\n") + " {key: a}\n", 3, "sensors",
         "must be a list", "one `- item` per line", "section-mapping"),
    case(HEAD, 3, "sensors", "is empty", "list checkers under it", "section-null"),
    case(entry("  -\n"), 4, "sensors[0]", "empty list item", "key: output", "item-null"),
    case(entry("  - output\n"), 4, "sensors[0]", "must be a mapping", "key: value", "item-str"),
    case(entry("  - {every: 5m, path: x}\n"), 4, "sensors[0].key",
         "missing required field", "add `key:`", "key-missing"),
    case(entry("  - {key: 12, every: 5m, path: x}\n"), 4, "sensors[0].key",
         "must be a string", 'quote it: "12"', "key-number"),
    case(entry("  - {key: ' a', every: 5m, path: x}\n"), 4, "sensors[0].key",
         "spaces around it", "write `key: a`", "key-spaces"),
    case(entry('  - {key: "a\\tb", every: 5m, path: x}\n'), 4, "sensors[0].key",
         "control character", "letters, digits", "key-control"),
    case(entry(f"  - {{key: {'k' * 301}, every: 5m, path: x}}\n"), 4, "sensors[0].key",
         "301 characters; the limit is 300", "shorter key", "key-too-long"),
    case(entry("  - {key: 'out#2026-03-01', every: 5m, path: x}\n"), 4, "sensors[0].key",
         "ends in a date suffix", "write `key: out`", "key-date-suffix"),
    case(entry("  - {key: a, path: x}\n"), 4, "sensors[0].every",
         "missing required field", "add `every: 5m`", "every-missing"),
    case(entry("  - {key: a, every: 5s, path: x}\n"), 4, "sensors[0].every",
         "5s is below the minimum of 10s", "every: 10s or more", "every-too-small"),
    case(entry("  - {key: a, every: 300, path: x}\n"), 4, "sensors[0].every",
         "must be a duration string", 'did you mean "300s"?', "every-number"),
    case(entry("  - {key: a, every: 1m, timeout: 2m, path: x}\n"), 4, "sensors[0].timeout",
         "2m is longer than every (1m)", "lower timeout, or raise every", "timeout-over-every"),
    case(entry("  - {key: a, every: 1h, heartbeat: 5m, path: x}\n"), 4, "sensors[0].heartbeat",
         "5m is shorter than every (1h)", "heartbeat ≥ every", "heartbeat-under-every"),
    case(entry("  - {key: a, every: 1m, horizon: soon, path: x}\n"), 4, "sensors[0].horizon",
         'invalid Go duration "soon"', "30s, 5m", "horizon-bad"),
    case(entry("  - {key: a, every: 1m, concurrency: 65, path: x}\n"), 4,
         "sensors[0].concurrency", "65 out of range [1,64]", "from 1 to 64", "concurrency-high"),
    case(entry("  - {key: a, every: 1m, concurrency: 0, path: x}\n"), 4,
         "sensors[0].concurrency", "0 out of range [1,64]", "from 1 to 64", "concurrency-zero"),
    case(entry("  - {key: a, every: 1m}\n"), 4, "sensors[0]",
         "names no checker kind", "add one of `sql:`, `path:`", "kind-none"),
    case(entry("  - key: a\n    every: 1m\n    sql: {url: x}\n    path: y\n"), 7, "sensors[0]",
         "has 2 kinds (`sql` and `path`)", "split it into one entry per kind", "kind-two"),
    case(entry("  - {key: a, every: 1m, path: x, kind: mine}\n"), 4, "sensors[0]",
         "has 2 kinds (`path` and `kind`)", "one entry per kind", "kind-block-and-custom"),
    case(entry("  - key: a\n    every: 1m\n    sqll: {url: x}\n"), 6, "sensors[0].sqll",
         "unknown key `sqll`", "did you mean `sql`?", "kind-typo-block"),
    case(entry("  - {key: a, every: 1m, kind: htp}\n"), 4, "sensors[0].kind",
         'unknown checker kind "htp"', "did you mean `http`?", "kind-typo-custom"),
    case(entry("  - {key: a, every: 1m, kind: 'my kind'}\n"), 4, "sensors[0].kind",
         '"my kind" is not a checker kind name', "name the entry point", "kind-bad-name"),
    case(entry("  - {key: a, every: 1m, config: {url: x}}\n"), 4, "sensors[0].config",
         "needs `kind:`", "add `kind: NAME`", "config-without-kind"),
    case(entry("  - {key: a, every: 1m, kind: mine, config: [x]}\n"), 4, "sensors[0].config",
         "must be a mapping, got a list", "key: value", "custom-config-list"),
    case(entry("  - {key: a, every: 1m, sql: select 1}\n"), 4, "sensors[0].sql",
         "must be a mapping, got a string", "write the sql settings under it", "sql-string"),
    case(entry("  - key: a\n    every: 1m\n    sql:\n"), 6, "sensors[0].sql",
         "is empty", "write the sql settings", "sql-null"),
    case(entry("  - {key: a, every: 1m, path: [x]}\n"), 4, "sensors[0].path",
         "must be a mapping or a URL, got a list", "path: {url: ...}", "path-list"),
    case(entry("  - {key: a, every: 1m, command: './check.sh 1'}\n"), 4, "sensors[0].command",
         "must be a list (argv, run without a shell)", 'command: ["./check.sh"', "command-str"),
    case(entry("  - {key: a, every: 1m, command: []}\n"), 4, "sensors[0].command",
         "must be a non-empty list", "argv as a list", "command-empty"),
    case(entry("  - {key: a, every: 1m, path: x, evry: 2m}\n"), 4, "sensors[0].evry",
         "unknown key `evry`", "did you mean `every`?", "option-typo"),
    case(entry("  - {key: a, every: 1m, path: x}\n  - {key: a, every: 2m, path: y}\n"), 5,
         "sensors[1].key", "checker key `a` is already checked (line 4)",
         "give each checker its own key", "key-twice"),
    case(HEAD.removesuffix("\n") + " [{key: a, every: 1m, path: x}, {key: a, path: y,"
         " every: 1m}]\n",
         3, "sensors[1].key", "checker key `a` is already checked (line 3)",
         "its own key", "key-twice-one-line"),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_each_mistake_is_one_problem_at_its_line(text: str, expected: Expected) -> None:
    """One mistake in an entry: exactly one problem, at its line and field, with a fix."""
    with pytest.raises(ConfigError) as info:
        parse_pipeline(text, source="p.yaml")
    problems = info.value.problems
    assert_sound(problems, "p.yaml", text)
    assert len(problems) == 1, [str(p) for p in problems]
    assert_problem(problems[0], "p.yaml", expected)


def test_every_bad_entry_is_reported_in_one_pass() -> None:
    """Three bad entries, three problems: a user fixes a file in one round."""
    text = entry(
        "  - {key: a, every: 1s, path: x}\n"
        "  - {key: b, every: 1m}\n"
        "  - {key: c, every: 1m, path: x, concurrency: 99}\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_pipeline(text, source="p.yaml")
    assert [(p.line, p.field) for p in info.value.problems] == [
        (4, "sensors[0].every"),
        (5, "sensors[1]"),
        (6, "sensors[2].concurrency"),
    ]


# --- shared checkers: sensors/*.yaml ------------------------------------------------------


def test_shared_file_gives_checkers_of_no_pipeline() -> None:
    """A shared file's checkers belong to no pipeline: their readings are shared readings."""
    text = "description: warehouse\nsensors:\n  - {key: wh-up, every: 1m, http: 'http://w'}\n"
    (check,) = parse_shared_sensors(text, source="s.yaml")
    assert (check.pipeline_id, check.label, check.kind, check.line) == (
        None,
        "shared/wh-up",
        "http",
        3,
    )


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("pipeline: {id: p}\nsensors: []\n", 1, "pipeline", "unknown key `pipeline`"),
        ("description: x\n", 1, "sensors", "missing required field"),
        ("- {key: a}\n", 1, "", "must be a mapping, got a list"),
        ("sensors:\n  - {key: a, every: 1m}\n", 2, "sensors[0]", "names no checker kind"),
    ],
    ids=["has-pipeline", "no-sensors", "list-document", "bad-entry"],
)
def test_shared_file_mistakes(text: str, line: int, field: str, message: str) -> None:
    """A shared file is a ``sensors:`` list and nothing of a pipeline; mistakes say where."""
    with pytest.raises(ConfigError) as info:
        parse_shared_sensors(text, source="s.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.field) == ("s.yaml", line, field)
    assert message in problem.message


def _project(tmp_path: Path, shared: dict[str, str], *, nested: bool = False) -> Path:
    """A project with one pipeline and ``shared`` files in ``sensors/``; its pipelines dir."""
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    (pipelines / "p.yaml").write_text("pipeline: {id: p}\n", encoding="utf-8")
    sensors = (pipelines if nested else tmp_path) / "sensors"
    sensors.mkdir()
    for name, text in shared.items():
        (sensors / name).write_text(text, encoding="utf-8")
    return pipelines


@pytest.mark.parametrize("nested", [False, True], ids=["beside-pipelines", "inside-pipelines"])
def test_shared_folder_is_found_as_calendars_are(tmp_path: Path, *, nested: bool) -> None:
    """``sensors/`` beside ``pipelines/`` (``interlock init``'s layout) or inside it."""
    good = "sensors:\n  - {key: wh-up, every: 1m, http: 'http://w'}\n"
    pipelines = _project(tmp_path, {"wh.yaml": good}, nested=nested)
    folder = shared_sensors_dir(pipelines)
    assert folder is not None
    assert folder == shared_sensors_dir(pipelines / "p.yaml")
    assert [check.key for check in load_sensors(folder)] == ["wh-up"]


def test_no_shared_folder(tmp_path: Path) -> None:
    """A project without ``sensors/`` has no shared checkers and loads as before."""
    (tmp_path / "p.yaml").write_text("pipeline: {id: p}\n", encoding="utf-8")
    assert shared_sensors_dir(tmp_path) is None
    assert [spec.id for spec in load_pipelines(tmp_path)] == ["p"]


def test_a_bad_shared_file_refuses_the_pipelines_it_sits_beside(tmp_path: Path) -> None:
    """``validate`` and ``apply`` load pipelines, so they refuse a broken shared checker."""
    pipelines = _project(tmp_path, {"wh.yaml": "sensors:\n  - {key: a, every: 2s, path: x}\n"})
    with pytest.raises(ConfigError) as info:
        load_pipelines(pipelines)
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.line, problem.field) == (
        "wh.yaml",
        2,
        "sensors[0].every",
    )


def test_a_shared_key_in_two_files_is_a_problem(tmp_path: Path) -> None:
    """Two shared checkers writing one key would overwrite each other's readings."""
    one = "sensors:\n  - {key: wh-up, every: 1m, http: 'http://w'}\n"
    two = "sensors:\n  - {key: other, every: 1m, path: x}\n  - {key: wh-up, every: 5m, path: y}\n"
    pipelines = _project(tmp_path, {"a.yaml": one, "b.yaml": two})
    with pytest.raises(ConfigError) as info:
        load_sensors(tmp_path / "sensors")
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.line) == ("b.yaml", 3)
    assert "a.yaml:2" in problem.message
    with pytest.raises(ConfigError):
        load_pipelines(pipelines)


# --- kind-specific checks, by the checker classes -----------------------------------------


class _Checker:
    """A checker class that refuses a ``sql`` config without ``query`` (as SqlChecker would)."""

    closed: ClassVar[list[str]] = []

    def __init__(self, config: Any) -> None:
        if "query" not in config:
            raise InputError("missing query", field="query")
        self.config = config

    def close(self) -> None:
        """Remember that the checker built for validation was released."""
        _Checker.closed.append(self.config["query"])


def _factory_for(kind: str) -> Any:
    """``sql`` is registered; any other kind is unknown, as the registry would say."""
    if kind != "sql":
        raise InputError(f"unknown checker kind {kind!r}", field="kind")
    return _Checker


def test_kind_errors_become_problems_at_the_entry() -> None:
    """The class's InputError is a problem naming the entry's line and the setting."""
    text = entry(
        "  - key: a\n    every: 1m\n    sql: {url: x, query: select 1}\n"
        "  - key: b\n    every: 1m\n    sql: {url: x}\n"
        "  - {key: c, every: 1m, kind: mine}\n"
    )
    spec = parse_pipeline(text, source="p.yaml")
    problems = sensor_config_problems(spec.sensors, _factory_for)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (7, "sensors[1].sql.query", "missing query"),
        (10, "sensors[2].config.kind", "unknown checker kind 'mine'"),
    ]
    assert "select 1" in _Checker.closed


def test_watching_the_pipelines_also_watches_the_shared_checkers(tmp_path: Path) -> None:
    """``serve --watch`` reloads on a change to ``sensors/*.yaml``, as it does for calendars."""
    pipelines = _project(tmp_path, {"wh.yaml": "sensors: []\n"})
    assert tmp_path / "sensors" / "wh.yaml" in config_files(pipelines)


def test_project_checkers_are_the_pipelines_then_the_shared_ones(tmp_path: Path) -> None:
    """What apply hands to the checker classes: every pipeline's checkers, then shared ones."""
    pipelines = _project(tmp_path, {"wh.yaml": "sensors:\n  - {key: wh, every: 1m, path: x}\n"})
    (pipelines / "q.yaml").write_text(
        "pipeline: {id: q}\nsensors:\n  - {key: out, every: 1m, path: y}\n", encoding="utf-8"
    )
    checks = project_checkers(pipelines, load_pipelines(pipelines))
    assert [check.label for check in checks] == ["q/out", "shared/wh"]
