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
        *flyway.BUILD_FILES,  # the module is the repository root here
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


def test_build_files_are_guessed_for_the_module_and_the_root() -> None:
    names = flyway.config_files([], "api/src/main/resources/db/migration")
    assert names[-6:] == [
        "api/pom.xml",
        "api/build.gradle",
        "api/build.gradle.kts",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
    ]
    assert flyway.module_folder("db/migration") == ""


_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties><flyway.locations>classpath:db/migration/common</flyway.locations></properties>
  <build><plugins>
    <plugin>
      <artifactId>flyway-maven-plugin</artifactId>
      <configuration><locations>db/migration/common,db/migration/dev</locations></configuration>
      <executions><execution><configuration><locations>
        <location>filesystem:src/main/resources/db/migration/test</location>
      </locations></configuration></execution></executions>
    </plugin>
    <plugin>
      <artifactId>liquibase-maven-plugin</artifactId>
      <configuration><locations><location>elsewhere</location></locations></configuration>
    </plugin>
  </plugins></build>
</project>"""


def test_pom_plugin_executions_and_property() -> None:
    assert flyway.build_locations("pom.xml", _POM) == [
        ["classpath:db/migration/common"],
        ["db/migration/common", "db/migration/dev"],
        ["filesystem:src/main/resources/db/migration/test"],
    ]
    assert flyway.build_locations("pom.xml", "<project") == [["{unreadable pom.xml}"]]
    # the plugin's list reads common and dev together; none reads dev and test together
    configs: dict[str, str | None] = {"pom.xml": _POM}
    assert flyway.read_together(COMMON, DEV, ROOT, configs) is True
    assert flyway.read_together(DEV, TEST, ROOT, configs) is False


def test_gradle_scripts_groovy_and_kotlin() -> None:
    groovy = (
        "flyway {\n"
        "    // locations = ['ignored']\n"
        "    locations = ['filesystem:db/a', \"classpath:db/b\"]  /* { */\n"
        "}\n"
        "tasks.register('x') { locations = ['not flyway'] }\n"
    )
    assert flyway.build_locations("build.gradle", groovy) == [["filesystem:db/a", "classpath:db/b"]]
    kotlin = 'flyway {\n    locations = arrayOf("filesystem:db/a", "filesystem:db/b")\n}\n'
    assert flyway.build_locations("build.gradle.kts", kotlin) == [
        ["filesystem:db/a", "filesystem:db/b"]
    ]
    dynamic = "flyway {\n    locations = project.flywayLocations\n}\n"
    assert flyway.build_locations("build.gradle", dynamic) == [["{not a literal list}"]]
    gstring = 'flyway { locations = ["filesystem:${dir}/a"] }\n'
    assert flyway.build_locations("build.gradle", gstring) == [["{not a literal}"]]
    # an unplaceable list leaves the answer unknown; a module's filesystem: is its folder
    assert (
        flyway.read_together(
            "m/db/a/V1__x.sql", "m/db/b/V1__y.sql", "m/db", {"m/build.gradle": dynamic}
        )
        is None
    )
    assert (
        flyway.read_together(
            "m/db/a/V1__x.sql",
            "m/db/b/V1__y.sql",
            "m/db",
            {"m/build.gradle": groovy.replace("classpath:db/b", "filesystem:db/b")},
        )
        is True
    )
