"""The validating models of `.github/guardrail.yml`, imported only when a configuration text is
read (`config.parse`): a run with no configuration file never imports pydantic (about 0.15 s
of start-up, its import and the schemas built at class creation).

Each model mirrors a frozen dataclass of `guardrail.config` field for field, with the same
defaults; every reader uses the dataclasses, which `plain()` builds from a validated model.
`tests/test_config.py` checks that the two agree (field names, and the defaults both ways).
Every model forbids unknown keys, so a typo is an error that names the file, the field and
the fix, never a setting silently ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guardrail import config as plain_config
from guardrail.config import (
    DEFAULT_ACK_ALLOW,
    DEFAULT_ACK_LABELS,
    DEFAULT_DATA_CONTRACT_GLOBS,
    DEFAULT_DOCS_GLOBS,
    DEFAULT_FLAG_PATTERNS,
    DEFAULT_INFRA_GLOBS,
    DEFAULT_PLACEHOLDERS,
    DEFAULT_PLAN_HEADINGS,
    DEFAULT_ROLLBACK_HEADINGS,
    DEFAULT_SIGNAL_HEADINGS,
    AckWay,
    Database,
    FailOn,
    SeverityName,
)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=_kebab, populate_by_name=True
    )


def _globs(value: tuple[str, ...]) -> tuple[str, ...]:
    """Globs compiled once, at load: a pattern pathspec cannot read fails here, naming the
    field, not halfway through a run."""
    from guardrail.analysis.paths import compile_globs

    for glob in value:
        if not glob.strip():
            raise ValueError("an empty glob matches nothing; remove it")
    try:
        compile_globs(value)
    except Exception as exc:  # pathspec raises several types for a malformed pattern
        raise ValueError(f"not a valid glob ({exc})") from None
    return value


def _check_name(value: str, *, allow_all: bool = True) -> str:
    from guardrail.model import CheckName

    if (allow_all and value == "all") or value in CheckName.__members__.values():
        return value
    names = ", ".join(["all", *CheckName] if allow_all else list(CheckName))
    raise ValueError(f"unknown check {value!r}; known checks: {names}")


class RiskConfig(_Model):
    """What makes a change risky enough that a missing rollback note is an error."""

    data_contracts: tuple[str, ...] = DEFAULT_DATA_CONTRACT_GLOBS
    infra: tuple[str, ...] = DEFAULT_INFRA_GLOBS
    docs: tuple[str, ...] = DEFAULT_DOCS_GLOBS
    large_pr_lines: int = Field(default=500, ge=1)
    large_pr_files: int = Field(default=40, ge=1)

    @field_validator("data_contracts", "infra", "docs")
    @classmethod
    def _compiled(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _globs(value)


class RollbackConfig(_Model):
    headings: tuple[str, ...] = DEFAULT_ROLLBACK_HEADINGS
    extra_headings: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS


class MigrationsConfig(_Model):
    """Where migrations are (beyond the frameworks' conventions) and where the plan is written."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    plan_headings: tuple[str, ...] = DEFAULT_PLAN_HEADINGS
    extra_plan_headings: tuple[str, ...] = ()
    postgres_version: int | None = Field(default=None, ge=10, le=30)
    database: Database | None = None
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    large_tables: tuple[str, ...] = ()
    hot_tables: tuple[str, ...] = ()
    small_tables: tuple[str, ...] = ()

    @field_validator("include", "exclude")
    @classmethod
    def _compiled(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _globs(value)


class AcknowledgeConfig(_Model):
    """Who may acknowledge a gap, and how: labels (reviewers) and/or the description (author)."""

    labels: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ACK_LABELS))
    allow: dict[str, tuple[AckWay, ...]] = Field(default_factory=lambda: dict(DEFAULT_ACK_ALLOW))
    inline_ignores: Literal["reason", "label"] = "reason"

    @field_validator("labels")
    @classmethod
    def _label_checks(cls, value: dict[str, str]) -> dict[str, str]:
        return {label: _check_name(check) for label, check in value.items()}

    @field_validator("allow")
    @classmethod
    def _allow_checks(cls, value: dict[str, tuple[AckWay, ...]]) -> dict[str, tuple[AckWay, ...]]:
        for check in value:
            _check_name(check)
        return value


class QuestionsConfig(_Model):
    """The questions beyond the three checks (notices unless configured otherwise)."""

    large_release_lines: int = Field(default=400, ge=1)
    signal_headings: tuple[str, ...] = DEFAULT_SIGNAL_HEADINGS
    flag_patterns: tuple[str, ...] = DEFAULT_FLAG_PATTERNS


class RuleConfig(_Model):
    enabled: bool = True
    severity: SeverityName | None = None


class DataShapesConfig(_Model):
    """Which files the legacy-data check judges, beyond what guardrail decides by itself
    (docs/data-shapes.md, "Direction")."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @field_validator("include", "exclude")
    @classmethod
    def _compiled(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _globs(value)


class PathConfig(_Model):
    """Settings for one part of a monorepo: the files matching `paths`."""

    paths: tuple[str, ...]
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    migrations: MigrationsConfig | None = None

    @field_validator("rules")
    @classmethod
    def _known(cls, value: dict[str, RuleConfig]) -> dict[str, RuleConfig]:
        return _validate_rules(value)

    @field_validator("paths")
    @classmethod
    def _compiled(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one glob of the files this entry applies to")
        return _globs(value)


def _validate_rules(value: dict[str, RuleConfig]) -> dict[str, RuleConfig]:
    from guardrail.rules import REGISTRY, resolve

    out: dict[str, RuleConfig] = {}
    for key, rule_cfg in value.items():
        code = resolve(key)
        if code is None:
            known = ", ".join(sorted(REGISTRY))
            raise ValueError(f"unknown rule {key!r}; known rules: {known}")
        out[code] = rule_cfg
    return out


class Config(_Model):
    fail_on: FailOn = "error"
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    risk: RiskConfig = RiskConfig()
    rollback: RollbackConfig = RollbackConfig()
    migrations: MigrationsConfig = MigrationsConfig()
    acknowledge: AcknowledgeConfig = AcknowledgeConfig()
    questions: QuestionsConfig = QuestionsConfig()
    data_shapes: DataShapesConfig = DataShapesConfig()

    paths: tuple[PathConfig, ...] = ()

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: dict[str, RuleConfig]) -> dict[str, RuleConfig]:
        return _validate_rules(value)


# Each validating model and the plain dataclass every reader uses.
PLAIN: dict[type[_Model], type[Any]] = {
    Config: plain_config.Config,
    RiskConfig: plain_config.RiskConfig,
    RollbackConfig: plain_config.RollbackConfig,
    MigrationsConfig: plain_config.MigrationsConfig,
    AcknowledgeConfig: plain_config.AcknowledgeConfig,
    QuestionsConfig: plain_config.QuestionsConfig,
    RuleConfig: plain_config.RuleConfig,
    DataShapesConfig: plain_config.DataShapesConfig,
    PathConfig: plain_config.PathConfig,
}


def _plain(value: Any) -> Any:
    if isinstance(value, _Model):
        values = {name: _plain(getattr(value, name)) for name in type(value).model_fields}
        if isinstance(value, MigrationsConfig):
            # A `paths` entry overrides only the settings it writes.
            values["written"] = frozenset(value.model_fields_set)
        return PLAIN[type(value)](**values)
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def plain(model: Config) -> plain_config.Config:
    """The frozen dataclasses of a validated configuration."""
    out: plain_config.Config = _plain(model)
    return out
