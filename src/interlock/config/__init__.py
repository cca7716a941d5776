"""Pipeline configuration: YAML files in, frozen specs out.

:func:`load_pipelines` reads a file or a directory (with its ``calendars/``);
:func:`parse_pipeline` parses one document from text; :func:`check_dependency_graph` checks
the ``dependsOn`` entries of a set of specs against each other. The loaders raise one
:class:`~interlock.errors.ConfigError` listing every problem, each with file, line, field
and fix. The specs are the only thing the rest of Interlock sees of a config. The ``MAX_*``
constants are the documented limits on a file (size, nesting, rule groups, durations).
"""

from __future__ import annotations

from interlock.config._build import JOB_TYPES
from interlock.config._check import MAX_DURATION
from interlock.config._depends import MAX_OFFSET
from interlock.config._graph import check_dependency_graph, dependency_cycles
from interlock.config._rules import MAX_RULE_GROUP_DEPTH
from interlock.config._sensors import MIN_EVERY, sensor_config_problems
from interlock.config._yaml import MAX_NESTING
from interlock.config.loader import (
    MAX_FILE_BYTES,
    load_calendars,
    load_pipeline_file,
    load_pipelines,
    load_sensors,
    parse_pipeline,
    parse_shared_sensors,
    shared_sensors_dir,
)
from interlock.model.specs import (
    DEFAULT_EVALUATION_INTERVAL,
    DEFAULT_EVALUATION_WINDOW,
    CalendarSpec,
    EvaluationSpec,
    ExcludeSpec,
    JobSpec,
    PipelineSpec,
    PostRunSpec,
    ScheduleSpec,
    SlaSpec,
    TriggerSpec,
)

__all__ = [
    "DEFAULT_EVALUATION_INTERVAL",
    "DEFAULT_EVALUATION_WINDOW",
    "JOB_TYPES",
    "MAX_DURATION",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_OFFSET",
    "MAX_RULE_GROUP_DEPTH",
    "MIN_EVERY",
    "CalendarSpec",
    "EvaluationSpec",
    "ExcludeSpec",
    "JobSpec",
    "PipelineSpec",
    "PostRunSpec",
    "ScheduleSpec",
    "SlaSpec",
    "TriggerSpec",
    "check_dependency_graph",
    "dependency_cycles",
    "load_calendars",
    "load_pipeline_file",
    "load_pipelines",
    "load_sensors",
    "parse_pipeline",
    "parse_shared_sensors",
    "sensor_config_problems",
    "shared_sensors_dir",
]
