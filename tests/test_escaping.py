"""Markdown and HTML through file contents and names (issue 16): everything taken from the
repository reaches the comment and the job summary through one escaping path.

Each hostile value carries an image to an outside host, a bare mention and an unbalanced
`</details>`; the rendered HTML (markdown-it, CommonMark with tables and raw HTML on, as GitHub
renders comments) must show them as text only.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from guardrail.model import Finding, Report, Severity
from guardrail.render import inline, sarif
from guardrail.render import json as render_json
from guardrail.render import markdown as render_md
from guardrail.rules import TITLE_LIMIT
from guardrail.text import CODE_CLOSE, CODE_OPEN, Code, Literal, Prose, cap, code, md, parts
from tests.conftest import console_script
from tests.fakegithub import FakeGitHub, file_entry
from tests.gitrepo import make_repo
from tests.test_faults import FAST, HEAD, clean, event, ours

EVIL = "<img src=https://x> @someone </details>"
BASE = "b" * 40

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")


def assert_inert(markdown: str) -> None:
    html = _MD.render(markdown)
    assert "<img" not in html, html
    assert "@someone" not in markdown, "a bare mention notifies"
    assert html.count("<details") == html.count("</details>"), html
    assert "https://x" not in _code_free(html), "GitHub would autolink it"


def _code_free(html: str) -> str:
    """The HTML without its <code> elements (GitHub autolinks bare URLs, never inside code)."""
    out, pos = [], 0
    while (start := html.find("<code>", pos)) >= 0:
        out.append(html[pos:start])
        end = html.find("</code>", start)
        pos = len(html) if end < 0 else end + len("</code>")
    out.append(html[pos:])
    return "".join(out)


# -- the one escaping path -------------------------------------------------------------------------


def test_code_strips_markers_and_parts_read_back() -> None:
    marked = f"drops {code('a' + CODE_CLOSE + 'b')} from {md('x' + CODE_OPEN)}."
    assert parts(marked) == (Prose("drops "), Code("ab"), Prose(" from "), Literal("x"), Prose("."))


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_no_value_leaves_its_code_span(value: str) -> None:
    text = inline.markdown(f"drops {code(value)}.", table=True)
    html = _MD.render("| a |\n|---|\n| " + text + " |\n")
    assert "<img" not in html and "<details" not in html and "</details>" not in html
    assert "@" not in text.replace("@\u2060", "")
    assert "\n" not in text and len(text) < inline.CODE_LIMIT * 2 + 20


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_no_free_text_becomes_markdown(value: str) -> None:
    for marked in (md(value), value):  # literal text, and prose that forgot to mark a value
        text = inline.markdown(marked)
        html = _MD.render(text)
        for tag in ("<img", "<a ", "<em>", "<strong>", "<details", "</details>", "<script"):
            assert tag not in html, (value, text, html)
        assert "\n" not in text


def test_cap_keeps_spans_balanced() -> None:
    marked = "x" * 10 + code("y" * 100) + " tail"
    capped = cap(marked, 50)
    assert capped.count(CODE_OPEN) == capped.count(CODE_CLOSE) == 1
    assert inline.plain(capped).endswith("…`")


def test_plain_forms() -> None:
    marked = f"renames {code('a|b')} (see `x`) {md('*y*')}"
    assert inline.plain(marked) == "renames `a|b` (see `x`) *y*"
    assert inline.plain(marked, quote=False) == "renames a|b (see x) *y*"


def _finding(title: str) -> Finding:
    return Finding("migration-safety", "GR212", Severity.ERROR, title, "Why.", path="db/1.sql")


def test_every_renderer_drops_the_markers() -> None:
    f = _finding(f"drops {code(EVIL)}")
    report = Report((f,), "fail", "error")
    outputs = [
        render_json.render(report),
        sarif.render(report),
        render_md.render(report, render_md.Meta()),
    ]
    for out in outputs:
        assert CODE_OPEN not in out and CODE_CLOSE not in out
    doc = json.loads(outputs[0])["findings"][0]
    assert doc["title"] == f"drops `{EVIL}`"
    assert doc["values"] == [EVIL]
    assert_inert(doc["markdown"]["title"])


def test_a_huge_title_is_capped_where_findings_are_made() -> None:
    from guardrail.rules import REGISTRY, all_rules

    all_rules()
    f = REGISTRY["GR212"].finding("x" * 70_001 + code("y" * 70_001), "z" * 70_001)
    assert len(inline.plain(f.title)) <= TITLE_LIMIT
    report = Report(tuple(f for _ in range(3)), "fail", "error")
    for budget in (render_md.COMMENT_BUDGET, render_md.MINIMAL_BUDGET):
        assert len(render_md.render(report, render_md.Meta(), budget=budget)) < 65_536


# -- through the installed console script ----------------------------------------------------------

SQL = f'ALTER TABLE orders DROP COLUMN "a`b\n\n{EVIL}";\n'
PROTO_BASE = "syntax = 'proto3';\nmessage Order {\n  string note = 1;\n}\n"
PROTO_HEAD = f"syntax = 'proto3';\nmessage Order {{\n  \"{EVIL}\" note = 1;\n}}\n"
SCHEMA_BASE = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"note": {"type": "string"}},
    }
)
SCHEMA_HEAD = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"note": {"type": EVIL}},
    }
)
MIGRATION_NAME = "db/migrations/0003_<img src=x> @someone </details>.sql"


def _hostile_repo(root: Path) -> Path:
    return make_repo(
        root,
        {"schemas/order.proto": PROTO_BASE, "schemas/order.schema.json": SCHEMA_BASE},
        {
            "db/migrations/0002_drop.sql": SQL,
            "schemas/order.proto": PROTO_HEAD,
            "schemas/order.schema.json": SCHEMA_HEAD,
            MIGRATION_NAME: "ALTER TABLE orders DROP COLUMN coupon;\n",
        },
    )


def test_hostile_contents_and_names_locally(tmp_path: Path) -> None:
    repo = _hostile_repo(tmp_path / "r")
    proc = subprocess.run(
        [console_script(), "check", "--base", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo)},
    )
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    # Each hostile value was read and quoted: the SQL column, the proto type, the JSON Schema
    # type and the migration's file name.
    assert "a`b" in out and "0003_" in out and "order.proto" in out and "order.schema.json" in out
    assert_inert(out)


def test_hostile_contents_and_names_in_comment_and_summary(
    fake_github: FakeGitHub,
    run_action,  # type: ignore[no-untyped-def]
) -> None:
    def added(path: str, text: str) -> dict[str, object]:
        lines = text.splitlines()
        patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + ln for ln in lines)
        return file_entry(path, patch, "added")

    def modified(path: str, base: str, head: str) -> dict[str, object]:
        fake_github.contents[(BASE, path)] = base
        fake_github.contents[(HEAD, path)] = head
        patch = "@@ -1,2 +1,2 @@\n" + "\n".join(
            [*("-" + ln for ln in base.splitlines()), *("+" + ln for ln in head.splitlines())]
        )
        return file_entry(path, patch, "modified")

    files = [
        added("db/migrations/0002_drop.sql", SQL),
        added(MIGRATION_NAME, "ALTER TABLE orders DROP COLUMN coupon;\n"),
        modified("schemas/order.proto", PROTO_BASE, PROTO_HEAD),
        modified("schemas/order.schema.json", SCHEMA_BASE, SCHEMA_HEAD),
    ]
    fake_github.add_pull(5, head_sha=HEAD, base_sha=BASE, files=files, body=EVIL)
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert run.returncode == 1, run.stdout + run.stderr
    (comment,) = ours(fake_github)
    for text in (str(comment["body"]), run.summary):
        assert "a`b" in text and "0003_" in text and "order.proto" in text
        assert_inert(text)


def test_a_traceback_quoting_the_repository_cannot_print_a_workflow_command(
    monkeypatch, capsys
) -> None:
    """A bug's traceback goes to the log whole, and its message may quote a file of the PR
    (a line with `::` at its start, after a newline or a lone carriage return): no line of
    stdout or stderr may then start a workflow command the runner would obey."""
    from guardrail import cli

    def bug(args: object) -> int:
        raise RuntimeError("boom\n::error file=x::pwned\r  ::add-mask::y\n##[error]z")

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setattr(cli, "_cmd_action", bug)
    assert cli.main(["action"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" in err and "pwned" in err  # kept for whoever reports it
    for line in re.split(r"\r\n|\r|\n", err):
        assert not line.lstrip().startswith(("::", "##[")), line
    ours = [line for line in out.splitlines() if line.startswith("::")]
    assert ours and all(line.startswith("::error title=guardrail::") for line in ours)
