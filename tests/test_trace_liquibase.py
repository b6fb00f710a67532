"""--trace of Liquibase XML, YAML and JSON changelogs: each changeSet as Liquibase runs it on
PostgreSQL (its own transaction, none with runInTransaction false), its `sql`,
`createProcedure` and `sqlFile` changes run as the literal SQL they are, and every change
Liquibase writes the SQL of listed by line, changeSet id and author. The plan tests need no
server; the last ones run on the session's embedded PostgreSQL."""

from __future__ import annotations

import json

import yaml

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.analysis.migrations import liquibase
from guardrail.analysis.migrations.detect import MigrationFile
from guardrail.model import ChangedFile, PullRequest, Report, Severity
from guardrail.render.inline import plain
from guardrail.trace import plan as trace_plan
from guardrail.trace.model import TraceResult

XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <changeSet id="3" author="ana">
    <sql>ALTER TABLE orders ADD COLUMN note text;</sql>
  </changeSet>
  <changeSet id="4" author="ana">
    <comment>two statements, one transaction</comment>
    <sql>
      ALTER TABLE customers ADD COLUMN note text;
      ALTER TABLE customers ADD COLUMN note2 text;
    </sql>
  </changeSet>
  <changeSet id="5" author="ana" runInTransaction="false">
    <sql>CREATE INDEX CONCURRENTLY orders_note ON orders (note);</sql>
  </changeSet>
  <changeSet id="6" author="bo">
    <addColumn tableName="orders">
      <column name="flag" type="boolean"/>
    </addColumn>
  </changeSet>
  <changeSet id="7" author="bo" dbms="mysql">
    <sql>ALTER TABLE `orders` ADD `flag2` tinyint(1);</sql>
  </changeSet>
</databaseChangeLog>
"""
XML_PATH = "src/main/resources/db/changelog/changes/003-notes.xml"


def _scripts(
    path: str, text: str, files: dict[str, str] | None = None
) -> tuple[list[trace_plan.Script], list[trace_plan.NotTraced]]:
    return trace_plan.scripts_for(MigrationFile(path, "liquibase"), text, (files or {}).get)


def test_each_changeset_is_a_script_in_its_own_transaction() -> None:
    scripts, skipped = _scripts(XML_PATH, XML)
    assert [(s.transaction, [(st.line, st.sql) for st in s.statements]) for s in scripts] == [
        ("file", [(4, "ALTER TABLE orders ADD COLUMN note text")]),
        (
            "file",
            [
                (9, "ALTER TABLE customers ADD COLUMN note text"),
                (10, "ALTER TABLE customers ADD COLUMN note2 text"),
            ],
        ),
        ("none", [(14, "CREATE INDEX CONCURRENTLY orders_note ON orders (note)")]),
    ]
    # Liquibase writes addColumn's SQL itself: listed by line, changeSet id and author. The
    # MySQL changeSet does not run on PostgreSQL, in production or in the trace.
    assert [(n.line, n.what) for n in skipped] == [(17, "addColumn in changeSet 6 by bo")]
    assert "no literal SQL" in skipped[0].why


def test_the_static_reader_reads_the_same_lines() -> None:
    """The trace's statements and the rules' operations have the same lines, so a finding is
    matched to what PostgreSQL observed at its line."""
    reading = liquibase.read(XML, XML_PATH)
    sql_ops = [op.line for op in reading.ops if op.text.startswith(("ALTER", "CREATE"))]
    # 22, the MySQL changeSet, runs nowhere on PostgreSQL: neither judged nor traced.
    assert sql_ops == [4, 9, 10, 14]
    index = next(op for op in reading.ops if op.line == 14)
    assert index.concurrently and not index.in_transaction
    assert next(op for op in reading.ops if op.line == 4).in_transaction


YAML = """\
databaseChangeLog:
  - changeSet:
      id: 8
      author: ana
      changes:
        - sql:
            sql: |
              ALTER TABLE orders ADD COLUMN note text;
              UPDATE orders SET note = '';
        - createTable:
            tableName: notes
            columns:
              - column: {name: id, type: bigint}
  - changeSet:
      id: 9
      author: ana
      runInTransaction: false
      changes:
        - sql:
            dbms: postgresql
            sql: CREATE INDEX CONCURRENTLY orders_note ON orders (note)
"""


def test_yaml_changesets_keep_their_lines() -> None:
    scripts, skipped = _scripts("db/changelog/008-notes.yaml", YAML)
    assert [(s.transaction, [st.line for st in s.statements]) for s in scripts] == [
        ("file", [8, 9]),
        ("none", [21]),
    ]
    assert [(n.line, n.what) for n in skipped] == [(10, "createTable in changeSet 8 by ana")]
    ops = liquibase.read(YAML, "db/changelog/008-notes.yaml").ops
    assert [op.line for op in ops if op.text.startswith(("ALTER", "UPDATE", "CREATE"))] == [
        8,
        9,
        21,
    ]


def test_json_sql_is_on_the_line_of_its_string() -> None:
    text = json.dumps(yaml.safe_load(YAML), indent=2)
    scripts, _ = _scripts("db/changelog/008-notes.json", text)
    first = text.splitlines().index(
        '              "sql": "ALTER TABLE orders ADD COLUMN note text;\\nUPDATE orders SET note = \'\';\\n"'
    )
    assert [st.line for st in scripts[0].statements] == [first + 1, first + 1]
    assert scripts[1].transaction == "none"


def test_sql_files_run_from_their_changelog_only() -> None:
    """A `sqlFile` is found next to the changelog (relativeToChangelogFile) or from the
    classpath root (`src/main/resources`); its statements carry its own path and lines. It is
    not planned a second time as a migration of its own; a path leaving the checkout, or a
    file that is not there, is listed."""
    changelog = "src/main/resources/db/changelog/010-sql.xml"
    text = (
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
        '  <changeSet id="10" author="ana">\n'
        '    <sqlFile path="sql/010-up.sql" relativeToChangelogFile="true"/>\n'
        '    <sqlFile path="db/changelog/sql/010-more.sql"/>\n'
        '    <sqlFile path="../../../../../../etc/passwd.sql" relativeToChangelogFile="true"/>\n'
        '    <sqlFile path="sql/missing.sql" relativeToChangelogFile="true"/>\n'
        "  </changeSet>\n"
        "</databaseChangeLog>\n"
    )
    files = {
        changelog: text,
        "src/main/resources/db/changelog/sql/010-up.sql": "\nALTER TABLE orders ADD COLUMN a int;\n",
        "src/main/resources/db/changelog/sql/010-more.sql": "ALTER TABLE orders ADD COLUMN b int;\n",
        "etc/passwd.sql": "SELECT 1;\n",
    }
    scripts, skipped = _scripts(changelog, text, files)
    [script] = scripts
    assert [(st.path, st.line) for st in script.statements] == [
        ("src/main/resources/db/changelog/sql/010-up.sql", 2),
        ("src/main/resources/db/changelog/sql/010-more.sql", 1),
    ]
    assert [(n.line, "not in the checkout" in n.why) for n in skipped] == [(5, True), (6, True)]

    pr = PullRequest(
        files=tuple(ChangedFile(p, "added") for p in files), body="", base_sha="b" * 40
    )
    planned = trace_plan.build(pr, lambda side, path: files.get(path), [])
    assert [st.path for s in planned.change for st in s.statements] == [
        "src/main/resources/db/changelog/sql/010-up.sql",
        "src/main/resources/db/changelog/sql/010-more.sql",
    ]


# openmrs-core, api/src/main/resources/org/openmrs/liquibase/updates/
# liquibase-update-to-latest-2.8.x.xml (changeSet TRUNK-6354-2025-10-22), commit 4d92b490aaa2,
# MPL-2.0 with the OpenMRS Healthcare Disclaimer. Columns shortened.
OPENMRS_MARK_RAN = """\
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
	<changeSet id="TRUNK-6354-2025-10-22" author="mseaton">
		<preConditions onFail="MARK_RAN">
			<and>
				<tableExists tableName="providermanagement_provider_role" />
				<sqlCheck expectedResult="0">select count(*) from provider_role</sqlCheck>
			</and>
		</preConditions>
		<comment>
			Populate provider role with contents of providermanagement provider role, if it exists
		</comment>
		<sql>
			insert into provider_role
				(provider_role_id, name, uuid)
			select
				provider_role_id, name, uuid
			from providermanagement_provider_role;
		</sql>
	</changeSet>
</databaseChangeLog>
"""


def test_a_changeset_its_preconditions_may_skip_is_listed_not_run() -> None:
    """openmrs copies a module's table only where it exists (onFail MARK_RAN): run without its
    preconditions it would fail on every database without that module, a false error."""
    scripts, skipped = _scripts("db/changelog/2.8.x.xml", OPENMRS_MARK_RAN)
    assert scripts == []
    [entry] = skipped
    assert (entry.line, entry.what) == (2, "changeSet TRUNK-6354-2025-10-22 by mseaton")
    assert "preConditions" in entry.why and "MARK_RAN" in entry.why


def test_what_liquibase_changes_at_run_time_is_listed_not_run() -> None:
    def one(changeset_attrs: str, inner: str) -> list[trace_plan.NotTraced]:
        text = (
            '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
            f'<changeSet id="1" author="a"{changeset_attrs}>\n{inner}\n</changeSet>\n'
            "</databaseChangeLog>\n"
        )
        scripts, skipped = _scripts("db/changelog/1.xml", text)
        assert scripts == [], text
        return skipped

    sql = "<sql>UPDATE orders SET note = '';</sql>"
    assert "properties" in one("", "<sql>UPDATE ${prefix}orders SET note = '';</sql>")[0].why
    assert "/" in one("", "<sql endDelimiter=\"/\">UPDATE orders SET note = ''\n/</sql>")[0].why
    assert (
        "modifySql"
        in one("", sql + '<modifySql><replace replace="a" with="b"/></modifySql>')[0].why
    )
    assert "contexts" in one(' context="test"', sql)[0].why
    assert "failOnError" in one(' failOnError="false"', sql)[0].why
    # A precondition that halts the update when it fails (Liquibase's default) does not skip.
    halting = OPENMRS_MARK_RAN.replace(' onFail="MARK_RAN"', "")
    scripts, skipped = _scripts("db/changelog/2.8.x.xml", halting)
    assert len(scripts) == 1 and skipped == []
    # A modifySql for another database does not touch PostgreSQL's SQL.
    text = (
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
        f'<changeSet id="1" author="a">{sql}<modifySql dbms="mssql"><append value=";"/>'
        "</modifySql></changeSet>\n</databaseChangeLog>\n"
    )
    assert len(_scripts("db/changelog/1.xml", text)[0]) == 1


def test_liquibase_dbms_lists() -> None:
    on = liquibase.runs_on_postgresql
    assert on("") and on("all") and on("postgresql") and on("h2, postgresql") and on("!mysql")
    assert (
        not on("mysql") and not on("none") and not on("!postgresql") and not on("all,!postgresql")
    )


def test_an_unreadable_changelog_is_listed() -> None:
    scripts, skipped = _scripts("db/changelog/1.xml", "<databaseChangeLog><changeSet>")
    assert scripts == [] and "could not be read" in skipped[0].why


def _planned(status: str, base: dict[str, str], head: dict[str, str]) -> trace_plan.TracePlan:
    pr = PullRequest(files=tuple(ChangedFile(p, status) for p in head), body="", base_sha="b" * 40)

    def read(side: str, path: str) -> str | None:
        return (base if side == "base" else {**base, **head}).get(path)

    return trace_plan.build(pr, read, list(base))


def test_changesets_added_to_an_existing_changelog_are_traced() -> None:
    """Liquibase runs the changeSets a database has not run, wherever they are written: a PR
    that appends one to an existing changelog adds a migration (it used to be listed as 'an
    edited migration that already ran'). The base version's changeSets already ran: not run
    again, and not listed, unless the PR edits one."""
    head_xml = XML.replace(
        "</databaseChangeLog>",
        '  <changeSet id="11" author="cy">\n'
        "    <sql>ALTER TABLE orders ADD COLUMN late text;</sql>\n"
        "  </changeSet>\n"
        "</databaseChangeLog>",
    )
    planned = _planned("modified", {XML_PATH: XML}, {XML_PATH: head_xml})
    assert [[st.sql for st in s.statements] for s in planned.change] == [
        ["ALTER TABLE orders ADD COLUMN late text"]
    ]
    assert planned.not_traced == ()
    edited = head_xml.replace("ADD COLUMN note text;</sql>", "ADD COLUMN note varchar(9);</sql>")
    planned = _planned("modified", {XML_PATH: XML}, {XML_PATH: edited})
    assert [[st.line for st in s.statements] for s in planned.change] == [[25]]
    assert [(n.line, n.what) for n in planned.not_traced] == [(3, "changeSet 3 by ana")]
    assert "already ran" in planned.not_traced[0].why
    # runOnChange: Liquibase runs the edited changeSet again, and so does the trace.
    again = edited.replace(
        '<changeSet id="3" author="ana">', '<changeSet id="3" author="ana" runOnChange="true">'
    )
    planned = _planned("modified", {XML_PATH: XML}, {XML_PATH: again})
    assert [s.statements[0].line for s in planned.change] == [4, 25]


def test_formatted_sql_changesets_added_to_an_existing_file_are_traced() -> None:
    path = "db/changelog/001-init.sql"
    base = "--liquibase formatted sql\n--changeset ana:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n"
    head = base + "--changeset ana:2\nALTER TABLE t ADD COLUMN b int;\n"
    planned = _planned("modified", {path: base}, {path: head})
    assert [[st.line for st in s.statements] for s in planned.change] == [[6]]
    assert planned.not_traced == ()
    edited = head.replace("(id int)", "(id bigint)")
    planned = _planned("modified", {path: base}, {path: edited})
    assert [(n.line, n.what) for n in planned.not_traced] == [(2, "changeset ana:1")]


def test_an_edited_changelog_whose_base_cannot_be_read_stays_listed() -> None:
    """Which changeSets are new is unknown then: running them all would re-run what already
    ran (a false 'already exists' failure), so the file is listed as before."""
    planned = _planned("modified", {XML_PATH: "<databaseChangeLog><changeSet>"}, {XML_PATH: XML})
    assert planned.change == ()
    assert [n.path for n in planned.not_traced] == [XML_PATH]
    assert "already exists on the base branch" in planned.not_traced[0].why


# -- on the embedded server ----------------------------------------------------------------------

BASE = {
    "db/changelog/001-init.sql": (
        "--liquibase formatted sql\n"
        "--changeset ana:1\n"
        "CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL);\n"
        "CREATE TABLE orders (id serial PRIMARY KEY, customer_id bigint REFERENCES customers (id));\n"
    ),
}


def _run(pg: str, head: dict[str, str]) -> tuple[Report, TraceResult]:
    from guardrail.trace import runner

    pr = PullRequest(
        files=tuple(ChangedFile(p, "added") for p in head),
        body="",
        base_sha="b" * 40,
        head_sha="a" * 40,
    )

    def read(side: str, path: str) -> str | None:
        return (BASE if side == "base" else {**BASE, **head}).get(path)

    planned = trace_plan.build(pr, read, list(BASE))
    result = runner.run(pg, planned)
    report = engine.run(pr, cfgmod.Config(), read=read, source="git", trace=result)
    return report, result


def test_xml_changesets_commit_one_by_one(embedded_pg: str) -> None:
    """As test_trace's formatted-SQL case: the lock changeSet 3 took on `orders` is released
    before changeSet 4 runs; 4's two statements share one transaction; 5 runs outside any; the
    addColumn is one not-traced notice naming its changeSet, and nothing else is."""
    path = "db/changelog/003-notes.xml"
    report, result = _run(embedded_pg, {path: XML})
    first, second, third, index = (result.at(path, line) for line in (4, 9, 10, 14))
    assert first is not None and first.error is None, result
    assert second is not None and second.error is None, result
    exclusive = {
        lk.relation for lk in second.held if lk.kind == "table" and lk.mode == "AccessExclusiveLock"
    }
    assert exclusive == {"customers"}
    assert third is not None and {lk.relation for lk in third.held if lk.kind == "table"} == {
        "customers"
    }
    assert index is not None and index.error is None and "outside a transaction" in index.note
    [notice] = [f for f in report.findings if f.rule == "GR261"]
    assert notice.severity is Severity.NOTICE and notice.line == 17
    assert "changeSet 6 by bo" in plain(notice.title)
    assert not [f for f in report.findings if f.rule == "GR260"]


# openmrs-core, api/src/main/resources/org/openmrs/liquibase/updates/
# liquibase-update-to-latest-3.0.x.xml (its first two changeSets), commit 4d92b490aaa2,
# MPL-2.0 with the OpenMRS Healthcare Disclaimer.
OPENMRS_EXTENSIONS = """\
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
	<changeSet id="20200604-soundex_extension" author="aman" dbms="postgresql">
		<comment> Soundex extension for PostgreSQL</comment>
		<sql> CREATE EXTENSION IF NOT EXISTS fuzzystrmatch SCHEMA public;</sql>
	</changeSet>

	<changeSet id="20200715-uuid_ossp_extension" author="aman" dbms="postgresql">
		<comment> Extension to use UUID functions with PostgreSQL and creating an alias similar to MySQL</comment>
		<sql>
			CREATE EXTENSION IF NOT EXISTS "uuid-ossp" SCHEMA public;
			CREATE FUNCTION UUID() RETURNS UUID LANGUAGE SQL AS $$ SELECT uuid_generate_v1() $$;
		</sql>
	</changeSet>
</databaseChangeLog>
"""


def test_an_extension_the_server_lacks_is_not_the_migrations_failure(embedded_pg: str) -> None:
    """openmrs's changeSets need fuzzystrmatch (a contrib module the embedded server ships) and
    uuid-ossp (which it does not). The missing extension is listed as not traced, never a
    failure of the migration; the function that needs it fails, and that failure is only a
    warning saying the untraced part may be the cause."""
    path = "db/changelog/3.0.x.xml"
    report, result = _run(embedded_pg, {path: OPENMRS_EXTENSIONS})
    soundex = result.at(path, 4)
    assert soundex is not None and soundex.error is None, result
    assert result.at(path, 10) is None
    assert any(n.line == 10 and "not installed" in n.why for n in result.not_traced)
    [failure] = [f for f in report.findings if f.rule == "GR260"]
    assert failure.line == 11 and failure.severity is Severity.WARNING
    assert "could not be traced" in plain(failure.detail)
