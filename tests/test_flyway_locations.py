"""Flyway's configured locations decide whether two sibling folders share a version space
(guardrail/analysis/flyway.py)."""

from __future__ import annotations

from guardrail.analysis import flyway

ROOT = "src/main/resources/db/migration"
RES = "src/main/resources"
DEV = f"{ROOT}/dev/V10.1__batch-schema-dev.sql"
TEST = f"{ROOT}/test/V10.1__batch-schema-test.sql"
COMMON = f"{ROOT}/common/V2__x.sql"


def test_resources_folder_and_config_files() -> None:
    assert flyway.resources_folder(ROOT) == RES
    assert (
        flyway.resources_folder("api/src/main/resources/db/migration") == "api/src/main/resources"
    )
    assert flyway.resources_folder("db/migration") is None
    paths = [
        f"{RES}/application.yml",
        f"{RES}/application-dev.properties",
        f"{RES}/logback.xml",
        "flyway.conf",
    ]
    assert flyway.config_files(paths, ROOT) == [
        "flyway.conf",
        f"{RES}/application.yml",
        f"{RES}/application-dev.properties",
    ]


def test_per_environment_profiles_never_read_dev_and_test_together() -> None:
    configs = {
        f"{RES}/application-dev.properties": "spring.flyway.locations=classpath:db/migration/common,classpath:db/migration/dev\n",
        f"{RES}/application-test.yml": "spring:\n  flyway:\n    locations:\n      - classpath:db/migration/common\n      - classpath:db/migration/test\n",
    }
    assert flyway.read_together(DEV, TEST, ROOT, configs) is False
    assert flyway.read_together(COMMON, DEV, ROOT, configs) is True


def test_one_list_naming_both_or_their_parent() -> None:
    both = {f"{RES}/application.properties": "spring.flyway.locations=classpath:db/migration\n"}
    assert flyway.read_together(DEV, TEST, ROOT, both) is True
    toml = {
        "flyway.toml": '[flyway]\nlocations = ["filesystem:src/main/resources/db/migration/dev", "filesystem:src/main/resources/db/migration/test"]\n'
    }
    assert flyway.read_together(DEV, TEST, ROOT, toml) is True


def test_unknown_when_nothing_or_a_placeholder_says() -> None:
    assert flyway.read_together(DEV, TEST, ROOT, {}) is None
    assert (
        flyway.read_together(DEV, TEST, ROOT, {f"{RES}/application.yml": "server:\n  port: 8080\n"})
        is None
    )
    vendor = {
        f"{RES}/application.properties": "spring.flyway.locations=classpath:db/migration/{vendor}\n"
    }
    assert flyway.read_together(DEV, TEST, ROOT, vendor) is None


def test_dotted_yaml_keys_and_conf_files() -> None:
    assert flyway.locations(
        "a.yml", "spring.flyway.locations: classpath:db/a,classpath:db/b\n"
    ) == ["classpath:db/a", "classpath:db/b"]
    assert flyway.locations("flyway.conf", "# x\nflyway.locations=filesystem:sql\n") == [
        "filesystem:sql"
    ]
    assert flyway.locations("a.yml", "spring: [\n") is None


def test_a_profile_document_with_its_own_list_leaves_it_unknown() -> None:
    text = (
        "spring:\n  flyway:\n    locations: classpath:db/migration/common\n---\n"
        "spring:\n  config:\n    activate:\n      on-profile: dev\n"
        "  flyway:\n    locations: classpath:db/migration/common,classpath:db/migration/dev\n"
    )
    common = f"{ROOT}/common/V10.1__c.sql"
    assert flyway.read_together(common, DEV, ROOT, {f"{RES}/application.yml": text}) is None
