"""Configuration: `.github/guardrail.yml`, optional, validated when it loads.

Every reader uses the frozen dataclasses below. A run with no configuration file builds them
from their defaults and never imports pydantic; a file is validated by the pydantic models of
`guardrail.config_schema` (imported only then), whose every model forbids unknown keys, so a
typo is an error that names the file, the field and the fix, never a setting silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from guardrail.errors import ConfigError
from guardrail.model import Severity

CONFIG_DOCS = "docs/configuration.md"
DEFAULT_CONFIG_PATH = ".github/guardrail.yml"


FailOn = Literal["error", "warning", "never"]
SeverityName = Literal["error", "warning", "notice"]

DEFAULT_DATA_CONTRACT_GLOBS = (
    "**/models.py",
    "**/models/**/*.py",
    "**/schemas.py",
    "**/schema.py",
    "**/schemas/**",
    "**/serializers.py",
    "**/entities/**",
    "**/*.proto",
    "**/*.graphql",
    "**/*.graphqls",
    "**/*.gql",
    "**/*.avsc",
    "**/*.schema.json",
    "**/openapi*.yaml",
    "**/openapi*.yml",
    "**/openapi*.json",
    "**/swagger*.yaml",
    "**/swagger*.json",
    "**/schema.prisma",
    "**/db/schema.rb",
    "**/db/structure.sql",
    "**/app/models/**",
)
DEFAULT_INFRA_GLOBS = (
    "**/*.tf",
    "**/*.tfvars",
    "**/terragrunt.hcl",
    "**/Chart.yaml",
    "**/charts/**",
    "**/helm/**",
    "**/values*.yaml",
    "**/values*.yml",
    "**/k8s/**",
    "**/kubernetes/**",
    "**/manifests/**",
    "**/kustomization.yaml",
    "**/kustomization.yml",
    "**/deploy/**",
    "**/deployment/**",
    "**/deployments/**",
    "**/infra/**",
    "**/cloudformation/**",
    "**/serverless.yml",
    "**/Procfile",
    "**/app.yaml",
    "**/fly.toml",
    "**/Pulumi*.yaml",
    "**/ansible/**",
)
DEFAULT_DOCS_GLOBS = (
    "**/*.md",
    "**/*.mdx",
    "**/*.rst",
    "**/*.adoc",
    "**/docs/**",
    "**/doc/**",
    "**/LICENSE*",
    "**/CHANGELOG*",
    "**/AUTHORS*",
    "**/CODEOWNERS",
    "**/.github/ISSUE_TEMPLATE/**",
    "**/.github/PULL_REQUEST_TEMPLATE*",
)

DEFAULT_ROLLBACK_HEADINGS = (
    "rollback",
    "rollback plan",
    "rollback strategy",
    "rollback steps",
    "rollback procedure",
    "rollback notes",
    "roll back",
    "roll back plan",
    "rolling back",
    "how to roll back",
    "how to rollback",
    "how to revert",
    "how to undo",
    "revert plan",
    "revert strategy",
    "reverting",
    "back out plan",
    "backout plan",
    "backout",
    "undo plan",
)

DEFAULT_PLACEHOLDERS = (
    "n/a",
    "na",
    "n.a",
    "none",
    "nothing",
    "no",
    "nope",
    "nil",
    "null",
    "tbd",
    "tba",
    "todo",
    "to do",
    "-",
    "--",
    "---",
    "—",
    "...",
    "…",
    "?",
    "x",
    "not applicable",
    "not needed",
    "not required",
    "no rollback",
    "no rollback needed",
    "no rollback plan",
    "fill in",
    "fill me in",
    "describe here",
    "add rollback plan here",
)


DEFAULT_PLAN_HEADINGS = (
    "migration plan",
    "migration",
    "migrations",
    "database migration",
    "database migrations",
    "database changes",
    "db changes",
    "db migration",
    "schema change",
    "schema changes",
    "deploy plan",
    "deployment plan",
    "rollout plan",
    "rollout",
    "release plan",
)

DEFAULT_ACK_LABELS = {
    "guardrail:acknowledged": "all",
    "guardrail:no-rollback-needed": "rollback-note",
    "guardrail:no-migration-plan-needed": "migration-plan",
    "guardrail:migration-reviewed": "migration-safety",
    "guardrail:history-reviewed": "migration-integrity",
    "guardrail:deploy-order-reviewed": "deploy-order",
    "guardrail:no-legacy-data": "legacy-data-tests",
}
AckWay = Literal["label", "description"]
DEFAULT_ACK_ALLOW: dict[str, tuple[AckWay, ...]] = {
    "all": ("label", "description"),
    "migration-safety": ("label",),
}

DEFAULT_SIGNAL_HEADINGS = (
    "monitoring",
    "observability",
    "how will we know",
    "signals",
    "alerts",
    "what to watch",
)
DEFAULT_FLAG_PATTERNS = (
    "feature_flag",
    "featureflag",
    "feature-flag",
    "is_enabled(",
    "launchdarkly",
    "ldclient",
    "unleash",
    "flipper",
    "waffle",
    "growthbook",
    "flagsmith",
    "openfeature",
    "split.io",
)

Database = Literal["postgres", "mysql", "mariadb", "sqlite", "mssql", "h2", "oracle"]


@dataclass(frozen=True)
class RiskConfig:
    """What makes a change risky enough that a missing rollback note is an error."""

    data_contracts: tuple[str, ...] = DEFAULT_DATA_CONTRACT_GLOBS
    infra: tuple[str, ...] = DEFAULT_INFRA_GLOBS
    docs: tuple[str, ...] = DEFAULT_DOCS_GLOBS
    large_pr_lines: int = 500
    large_pr_files: int = 40


@dataclass(frozen=True)
class RollbackConfig:
    headings: tuple[str, ...] = DEFAULT_ROLLBACK_HEADINGS
    extra_headings: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS

    @property
    def all_headings(self) -> tuple[str, ...]:
        return self.headings + self.extra_headings


@dataclass(frozen=True)
class MigrationsConfig:
    """Where migrations are (beyond the frameworks' conventions) and where the plan is written."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    plan_headings: tuple[str, ...] = DEFAULT_PLAN_HEADINGS
    extra_plan_headings: tuple[str, ...] = ()
    # The PostgreSQL major version the migrations run on (None: the oldest supported one,
    # analysis/migrations/postgres.py says which and why).
    postgres_version: int | None = None
    # The database the migrations run on (None: found per file, PostgreSQL when nothing says
    # otherwise; analysis/migrations/dialect.py). The lock and rewrite rules are PostgreSQL's.
    database: Database | None = None
    # Timeouts the deploy already sets for every migration (database.yml `variables:`, the
    # role's `ALTER ROLE … SET`, the connection string): the migration need not set them.
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    # Table names (globs, `*` and `?`, case-insensitive; a schema-qualified name matches with or
    # without its schema) whose size or traffic changes how a lock or a rewrite is judged, the
    # way GitLab keeps lists of its large and high-traffic tables.
    large_tables: tuple[str, ...] = ()
    hot_tables: tuple[str, ...] = ()
    small_tables: tuple[str, ...] = ()
    # The settings the file wrote (not a setting itself): a `paths` entry overrides only these.
    written: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def all_plan_headings(self) -> tuple[str, ...]:
        return self.plan_headings + self.extra_plan_headings


# The `migrations` settings a `paths` entry may set for its files, read through
# `Config.migration_setting` by their field names (tests/test_config.py: each is a field).
MigrationSetting = Literal[
    "database",
    "postgres_version",
    "lock_timeout",
    "statement_timeout",
    "large_tables",
    "hot_tables",
    "small_tables",
]


@dataclass(frozen=True)
class AcknowledgeConfig:
    """Who may acknowledge a gap, and how: labels (reviewers) and/or the description (author)."""

    labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACK_LABELS))
    allow: dict[str, tuple[AckWay, ...]] = field(default_factory=lambda: dict(DEFAULT_ACK_ALLOW))
    # Inline `guardrail: ignore` comments that a PR adds: `reason` (a reason is enough) or
    # `label` (the PR also needs a reviewer's migration-safety acknowledgement label).
    inline_ignores: Literal["reason", "label"] = "reason"


@dataclass(frozen=True)
class QuestionsConfig:
    """The questions beyond the three checks (notices unless configured otherwise)."""

    large_release_lines: int = 400
    signal_headings: tuple[str, ...] = DEFAULT_SIGNAL_HEADINGS
    flag_patterns: tuple[str, ...] = DEFAULT_FLAG_PATTERNS


@dataclass(frozen=True)
class RuleConfig:
    enabled: bool = True
    severity: SeverityName | None = None

    @property
    def severity_value(self) -> Severity | None:
        return Severity.parse(self.severity) if self.severity else None


@dataclass(frozen=True)
class DataShapesConfig:
    """Which files the legacy-data check judges, beyond what guardrail decides by itself
    (docs/data-shapes.md, "Direction")."""

    include: tuple[str, ...] = ()  # judged whatever their shapes are called, generated or not
    exclude: tuple[str, ...] = ()  # never judged


@dataclass(frozen=True)
class PathConfig:
    """Settings for one part of a monorepo: the files matching `paths`."""

    paths: tuple[str, ...]
    rules: dict[str, RuleConfig] = field(default_factory=dict)
    migrations: MigrationsConfig | None = None


@dataclass(frozen=True)
class Config:
    fail_on: FailOn = "error"
    rules: dict[str, RuleConfig] = field(default_factory=dict)
    risk: RiskConfig = RiskConfig()
    rollback: RollbackConfig = RollbackConfig()
    migrations: MigrationsConfig = MigrationsConfig()
    acknowledge: AcknowledgeConfig = field(default_factory=AcknowledgeConfig)
    questions: QuestionsConfig = QuestionsConfig()
    data_shapes: DataShapesConfig = DataShapesConfig()

    paths: tuple[PathConfig, ...] = ()

    def rule(self, code: str, path: str | None = None) -> RuleConfig:
        """The settings of a rule for a file: the first `paths` entry that matches it and
        configures the rule, else the top level."""
        if path and self.paths:
            from guardrail.analysis.paths import matches

            for entry in self.paths:
                if code in entry.rules and matches(path, entry.paths):
                    return entry.rules[code]
        return self.rules.get(code, _DEFAULT_RULE)

    @property
    def migration_include(self) -> tuple[str, ...]:
        extra = tuple(g for e in self.paths if e.migrations for g in e.migrations.include)
        return self.migrations.include + extra

    @property
    def migration_exclude(self) -> tuple[str, ...]:
        extra = tuple(g for e in self.paths if e.migrations for g in e.migrations.exclude)
        return self.migrations.exclude + extra

    def migration_setting(self, name: MigrationSetting, path: str | None = None) -> Any:
        """One `migrations.<name>` setting for a file: the first `paths` entry that matches the
        file and sets it, else the top level (None when neither sets it). `name` is one of
        `MigrationSetting`, so mypy catches a misspelled one."""
        if path and self.paths:
            from guardrail.analysis.paths import matches

            for entry in self.paths:
                if entry.migrations is None or name not in entry.migrations.written:
                    continue
                if matches(path, entry.paths):
                    return getattr(entry.migrations, name)
        return getattr(self.migrations, name)

    def postgres_version(self, path: str | None = None) -> int:
        from guardrail.analysis.migrations.postgres import DEFAULT_POSTGRES_VERSION

        value = self.migration_setting("postgres_version", path)
        return value if isinstance(value, int) else DEFAULT_POSTGRES_VERSION


_DEFAULT_RULE = RuleConfig()


def _format_loc(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def parse(
    data: Any, source: str, lines: Callable[[tuple[int | str, ...]], int | None] | None = None
) -> Config:
    """Validate already-loaded YAML data; errors name `source`, the field path and the fix
    (and, given `lines`, the line of each field in the file)."""
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the file must be a mapping of settings, got {type(data).__name__}",
            f"start it with keys such as `fail-on: error`; see {CONFIG_DOCS}",
        )
    from pydantic import ValidationError

    from guardrail import config_schema

    try:
        return config_schema.plain(config_schema.Config.model_validate(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _format_loc(tuple(err["loc"]))
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown setting (check the spelling; settings use kebab-case)"
            problems.append((loc, msg, lines(tuple(err["loc"])) if lines else None))
        raise ConfigError(
            f"{source}: invalid configuration: " + "; ".join(f"{f}: {m}" for f, m, _ in problems),
            f"fix the field(s) named above; every setting is listed in {CONFIG_DOCS}",
            tuple(problems),
        ) from None


def _yaml(text: str, source: str) -> Any:
    import yaml

    from guardrail.analysis import yamlsafe

    try:
        return yamlsafe.load(text)
    except yamlsafe.AliasBomb as exc:
        raise ConfigError(f"{source}: {exc}", "write the settings out without aliases") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(
            f"{source}: cannot parse YAML{where}: {problem}",
            "fix the YAML syntax (indentation, quotes, colons)",
            (("(YAML syntax)", str(problem), mark.line + 1 if mark is not None else None),),
        ) from None


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """The child's settings over the parent's: mappings merge key by key, the rest is replaced."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# Reads the configuration an `extends:` names (a path in the repository, or
# "owner/repo:path@ref" for an organization-wide file); None when it cannot be read.
Fetch = Callable[[str], "str | None"]


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _is_name(text: str, limit: int) -> bool:
    return 0 < len(text) <= limit and set(text) <= _NAME_CHARS and text not in (".", "..")


def _is_repo_path(path: str) -> bool:
    """A relative path of plain names: no `..`, no `?`/`#`/`%`, no leading slash."""
    parts = path.split("/")
    return 0 < len(path) <= 400 and all(_is_name(p, 255) for p in parts)


def _is_git_ref(ref: str) -> bool:
    parts = ref.split("/")
    return (
        0 < len(ref) <= 255
        and not ref.startswith("-")
        and not ref.endswith(".lock")
        and all(_is_name(p, 255) and ".." not in p for p in parts)
    )


def validate_extends(ref: str, source: str) -> str:
    """`extends:` names `owner/repo:path@ref` (an organization-wide file) or a path in this
    repository. Every part is checked, so that a value can only ever name a file in a
    repository: `a/b:../../user?x=1#@main` would otherwise reach any path of the API host with
    the token."""
    value = ref.strip()
    if ":" in value:
        repo, _, rest = value.partition(":")
        path, at, git_ref = rest.rpartition("@")
        owner, slash, name = repo.partition("/")
        owner_ok = _is_name(owner, 39) and not owner.startswith(("-", ".", "_"))
        if (
            slash
            and owner_ok
            and "." not in owner
            and _is_name(name, 100)
            and at
            and _is_repo_path(path)
            and _is_git_ref(git_ref)
        ):
            return value
    elif _is_repo_path(value):
        return value
    raise ConfigError(
        f"{source}: extends: {value[:120]!r} is not `owner/repo:path@ref` or a path in this "
        "repository",
        "write it as e.g. `extends: my-org/.github:guardrail/base.yml@main` (plain names, "
        "no `..`, `?`, `#` or leading `/`), or as a path such as `.github/guardrail-base.yml`",
    )


def _resolve_extends(data: Any, source: str, fetch: Fetch | None, depth: int = 0) -> Any:
    if not isinstance(data, dict) or "extends" not in data:
        return data
    ref = data.pop("extends")
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(
            f"{source}: extends: must name a file",
            "e.g. `extends: my-org/.github:guardrail.yml@main`",
        )
    if depth >= 3:
        raise ConfigError(
            f"{source}: extends: more than 3 levels deep at {ref!r}", "flatten the chain"
        )
    ref = validate_extends(ref, source)
    text = fetch(ref) if fetch is not None else None
    if text is None:
        raise ConfigError(
            f"{source}: extends: cannot read {ref!r}",
            "check the name (a path in this repository, or owner/repo:path@ref) and that the "
            "token can read that repository; the default GITHUB_TOKEN reads only this one",
        )
    parent = _resolve_extends(_yaml(text, ref), ref, fetch, depth + 1)
    if parent is None:
        return data
    if not isinstance(parent, dict):
        raise ConfigError(f"{ref}: the file must be a mapping of settings", f"see {CONFIG_DOCS}")
    return _merge(parent, data)


def _line_finder(text: str) -> Callable[[tuple[int | str, ...]], int | None]:
    """The line of a field (a validation error's location) in a YAML text: the deepest part of
    the path that is in the file. Only called on text that loaded (aliases bounded)."""
    import yaml

    try:
        root: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:  # a line number is a courtesy; the error stands without it
        root = None

    def find(loc: tuple[int | str, ...]) -> int | None:
        node, line = root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                hit = next((kv for kv in node.value if str(kv[0].value) == str(part)), None)
                if hit is None:
                    break
                line, node = hit[0].start_mark.line + 1, hit[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    return find


def validate_text(text: str, source: str) -> ConfigError | None:
    """Whether a configuration someone proposes (a pull request's own edit) would load: the
    error that names each wrong field and its line, or None. `extends:` is checked for its
    form but never fetched: what a pull request names is not read with the token."""
    try:
        data = _yaml(text, source)
        if isinstance(data, dict) and "extends" in data:
            data = dict(data)
            ref = data.pop("extends")
            if not isinstance(ref, str) or not ref.strip():
                raise ConfigError(
                    f"{source}: extends: must name a file",
                    "e.g. `extends: my-org/.github:guardrail.yml@main`",
                    (("extends", "must name a file", _line_finder(text)(("extends",))),),
                )
            try:
                validate_extends(ref, source)
            except ConfigError as exc:
                raise ConfigError(
                    exc.message,
                    exc.fix,
                    (("extends", "not a file name", _line_finder(text)(("extends",))),),
                ) from None
        parse(data, source, _line_finder(text))
    except ConfigError as exc:
        return exc
    return None


def load_text(text: str, source: str, fetch: Fetch | None = None) -> Config:
    data = _resolve_extends(_yaml(text, source), source, fetch)
    return parse(data, source)


def local_fetch(root: Path) -> Fetch:
    """`extends:` from a checkout: paths in the repository only."""

    def fetch(ref: str) -> str | None:
        if ":" in ref:
            return None
        target = (root / ref).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            return None
        return target.read_text(encoding="utf-8", errors="replace")

    return fetch


def load(path: Path, *, required: bool = False, fetch: Fetch | None = None) -> Config:
    """Load the file at `path`. A missing file means defaults, unless the user named it."""
    if not path.is_file():
        if required:
            raise ConfigError(
                f"{path}: configuration file not found",
                "create it, or leave the `config` input at its default to run with defaults",
            )
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}", "make it a readable UTF-8 file") from None
    return load_text(text, str(path), fetch or local_fetch(path.resolve().parent.parent))


__all__ = ["Config", "ConfigError", "load", "load_text", "parse"]
