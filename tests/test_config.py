from __future__ import annotations

from pathlib import Path

import pytest

from guardrail import config as cfgmod
from guardrail import config_schema
from guardrail.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guardrail.yml"
    path.write_text(text)
    return path


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert cfgmod.load(tmp_path / "nope.yml") == cfgmod.Config()


def test_missing_file_named_by_the_user_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        cfgmod.load(tmp_path / "nope.yml", required=True)


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    assert cfgmod.load(write(tmp_path, "")).fail_on == "error"


def test_valid_file(tmp_path: Path) -> None:
    cfg = cfgmod.load(
        write(
            tmp_path,
            "fail-on: warning\nrules:\n  gr101: {severity: notice}\n  placeholder-rollback-note: {enabled: false}\n"
            "risk:\n  large-pr-lines: 50\n",
        )
    )
    assert cfg.fail_on == "warning"
    assert cfg.rule("GR101").severity == "notice"
    assert cfg.rule("GR102").enabled is False
    assert cfg.risk.large_pr_lines == 50


def test_unknown_key_names_file_field_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "risk:\n  migratons: ['x/**']\n")
    with pytest.raises(ConfigError) as info:
        cfgmod.load(path)
    text = str(info.value)
    assert str(path) in text and "risk.migratons" in text and "unknown setting" in text
    assert "docs/configuration.md" in text


def test_bad_value(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"fail-on: Input should be 'error', 'warning' or 'never'"
    ):
        cfgmod.load(write(tmp_path, "fail-on: sometimes\n"))


def test_unknown_rule(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown rule 'GR999'"):
        cfgmod.load(write(tmp_path, "rules:\n  GR999: {enabled: false}\n"))


def test_bad_severity_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rules\.GR101\.severity"):
        cfgmod.load(write(tmp_path, "rules:\n  GR101: {severity: fatal}\n"))


def test_yaml_syntax_error_has_a_position(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        cfgmod.load(write(tmp_path, "fail-on: error\n  bad: [\n"))


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        cfgmod.load(write(tmp_path, "- a\n- b\n"))


def test_docs_list_every_setting() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()

    def walk(model: type, prefix: str = "") -> list[str]:
        names = []
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            key = prefix + (field.alias or name)
            names.append(key)
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, config_schema._Model):
                names += walk(ann, key + ".")
        return names

    for key in walk(config_schema.Config):
        assert f"`{key.rsplit('.', 1)[-1]}`" in docs, (
            f"docs/configuration.md does not mention {key}"
        )


def test_extends_merges_a_shared_file_under_the_repositorys_own(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / "shared.yml").write_text(
        "fail-on: warning\nrules:\n  GR217: {severity: error}\n  GR402: {enabled: false}\n"
    )
    path = tmp_path / ".github" / "guardrail.yml"
    path.write_text("extends: shared.yml\nrules:\n  GR217: {severity: notice}\n")
    cfg = cfgmod.load(path)
    assert cfg.fail_on == "warning"  # from the shared file
    assert cfg.rule("GR217").severity == "notice"  # the repository's own wins
    assert cfg.rule("GR402").enabled is False


def test_extends_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    path = tmp_path / ".github" / "guardrail.yml"
    path.write_text("extends: my-org/.github:guardrail.yml@main\n")
    with pytest.raises(ConfigError, match="extends: cannot read") as info:
        cfgmod.load(path)
    assert "token" in info.value.fix


def test_extends_through_the_api_for_an_organization_file(fake_github, run_action) -> None:  # type: ignore[no-untyped-def]
    from tests.fakegithub import file_entry

    migration = file_entry(
        "db/migrations/0002.sql",
        "@@ -0,0 +1 @@\n+ALTER TABLE t ADD COLUMN c int NOT NULL;",
        "added",
    )
    fake_github.add_pull(3, body="", head_sha="1" * 40, base_sha="2" * 40, files=[migration])
    fake_github.contents[("2" * 40, ".github/guardrail.yml")] = (
        "extends: octo/shop:org/guardrail.yml@main\n"
    )
    fake_github.contents[("main", "org/guardrail.yml")] = "fail-on: never\n"
    run = run_action(fake_github, "pull_request", {"pull_request": {"number": 3}})
    # Errors everywhere, but the organization's file says `fail-on: never`.
    assert run.returncode == 0, run.stdout
    assert run.outputs["verdict"] == "warn"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("acknowledge:\n  labels: {ok-to-ship: migraton-safety}\n", "acknowledge.labels"),
        ("acknowledge:\n  allow: {rollback: [label]}\n", "acknowledge.allow"),
        ("risk:\n  infra: ['**/*.tf', '']\n", "risk.infra"),
        ("paths:\n  - paths: []\n    rules: {GR212: {enabled: false}}\n", "paths[0].paths"),
        ("paths:\n  - paths: [svc/**]\n    rules: {GR000: {enabled: false}}\n", "paths[0].rules"),
    ],
)
def test_names_and_globs_are_checked_at_load(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        cfgmod.load(write(tmp_path, text))
    message = str(info.value)
    assert str(tmp_path / "guardrail.yml") in message and f"{field}:" in message
    assert "fix the field" in message


def test_severity_override_never_raises_a_lowered_finding() -> None:
    from guardrail import engine
    from guardrail.model import ChangedFile, PullRequest, Severity

    # An ordinary code change without a note: GR101 is a notice, lowered from its default.
    pr = PullRequest(files=(ChangedFile("app/x.py", patch="@@ -1 +1 @@\n-a\n+b"),))
    for configured, expected in (("warning", Severity.NOTICE), ("notice", Severity.NOTICE)):
        config = cfgmod.parse({"rules": {"GR101": {"severity": configured}}}, "test")
        (f,) = [f for f in engine.run(pr, config).findings if f.rule == "GR101"]
        assert f.severity == expected
    # A risky change: GR101 at its default takes the configured severity as it is.
    risky = PullRequest(
        files=(ChangedFile("db/migrations/0002.sql", "added", patch="@@ -0,0 +1 @@\n+SELECT 1;"),)
    )
    config = cfgmod.parse({"rules": {"GR101": {"severity": "warning"}}}, "test")
    (f,) = [f for f in engine.run(risky, config).findings if f.rule == "GR101"]
    assert f.severity == Severity.WARNING


def test_the_plain_defaults_are_the_validated_defaults() -> None:
    """A run with no configuration file uses the dataclasses' defaults without pydantic; a file
    is validated by config_schema's models. Both paths must give the same configuration."""
    import dataclasses

    assert config_schema.plain(config_schema.Config()) == cfgmod.Config()
    assert cfgmod.parse({}, "empty") == cfgmod.Config()
    assert cfgmod.parse(None, "empty") == cfgmod.Config()
    for model, plain in config_schema.PLAIN.items():
        names = [f.name for f in dataclasses.fields(plain) if f.name != "written"]
        assert names == list(model.model_fields), plain.__name__
        if model is config_schema.PathConfig:
            built = config_schema._plain(model(paths=("svc/**",)))
            assert built == plain(paths=("svc/**",)), plain.__name__
        else:
            assert config_schema._plain(model()) == plain(), plain.__name__


def test_a_paths_entry_overrides_only_the_settings_it_writes() -> None:
    cfg = cfgmod.parse(
        {
            "migrations": {"postgres-version": 13, "lock-timeout": "5s"},
            "paths": [{"paths": ["svc/**"], "migrations": {"postgres-version": 16}}],
        },
        "test",
    )
    assert cfg.postgres_version("svc/db/0001.sql") == 16
    assert cfg.postgres_version("other/0001.sql") == 13
    assert cfg.migration_setting("lock_timeout", "svc/db/0001.sql") == "5s"


def test_every_migration_setting_read_by_name_is_a_field() -> None:
    """`Config.migration_setting` reads a field by its name: each name it accepts is one."""
    from dataclasses import fields
    from typing import get_args

    names = {f.name for f in fields(cfgmod.MigrationsConfig)}
    assert set(get_args(cfgmod.MigrationSetting)) <= names
