"""Pipeline configuration: YAML files in, frozen specs out.

:func:`load_pipelines` reads a file or a directory (with its ``calendars/``);
:func:`parse_pipeline` parses one document from text. Both raise one
:class:`~interlock.errors.ConfigError` listing every problem, each with file, line, field
and fix. The specs are the only thing the rest of Interlock sees of a config.
"""

from __future__ import annotations

from interlock.config._build import JOB_TYPES
from interlock.config.loader import (
    load_calendars,
    load_pipeline_file,
    load_pipelines,
    parse_pipeline,
)
from interlock.specs import (
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
    "CalendarSpec",
    "EvaluationSpec",
    "ExcludeSpec",
    "JobSpec",
    "PipelineSpec",
    "PostRunSpec",
    "ScheduleSpec",
    "SlaSpec",
    "TriggerSpec",
    "load_calendars",
    "load_pipeline_file",
    "load_pipelines",
    "parse_pipeline",
]
