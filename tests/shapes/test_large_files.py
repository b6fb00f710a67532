"""No size limit drops a file: a 1.2 MB specification is read, through the API and by the reader."""

from __future__ import annotations

import json

from guardrail.analysis.jsonschema_diff import tightenings
from guardrail.sources.github_api import GitHubClient, RetryPolicy
from guardrail.text import CODE_CLOSE, CODE_OPEN
from tests.fakegithub import FakeGitHub


def _spec(enum: list[str]) -> str:
    schemas = {
        f"Thing{i}": {"type": "object", "properties": {"name": {"type": "string"}}}
        for i in range(12_000)
    }
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}
    schemas["Order"] = {
        "type": "object",
        "properties": {"status": {"type": "string", "enum": enum}},
    }
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "big", "version": "1"},
        "paths": {"/orders": {"post": {"requestBody": body, "responses": {}}}},
        "components": {"schemas": schemas},
    }
    return json.dumps(doc, indent=1)


def test_a_large_specification_is_compared() -> None:
    base, head = _spec(["new", "paid", "void"]), _spec(["new", "paid"])
    assert len(head) > 1_200_000
    found = tightenings(base, head, "api/openapi.json")
    assert [t.what.replace(CODE_OPEN, "`").replace(CODE_CLOSE, "`") for t in found] == [
        '`POST /orders body (application/json).status` no longer accepts `"void"`'
    ]


def test_the_api_reads_a_file_past_one_megabyte(fake_github: FakeGitHub) -> None:
    text = _spec(["new"])
    fake_github.contents[("a" * 40, "api/openapi.json")] = text
    client = GitHubClient(
        "t-bot",
        fake_github.repo,
        fake_github.url,
        write_interval=0,
        sleep=lambda s: None,
        policy=RetryPolicy(backoff=0),
    )
    assert client.file_text("api/openapi.json", "a" * 40) == text
