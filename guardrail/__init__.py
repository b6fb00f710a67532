"""guardrail: the quiet questions that keep production safe, asked of every pull request."""

__version__ = "0.1.0"
DOCS_URL = "https://github.com/guardrail-action/guardrail/blob/main/docs"


def docs_base() -> str:
    """Where the rule pages live: the running action's own repository and ref when known."""
    import os

    repo = os.environ.get("GITHUB_ACTION_REPOSITORY")
    if repo:
        server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
        ref = os.environ.get("GITHUB_ACTION_REF") or "main"
        return f"{server}/{repo}/blob/{ref}/docs"
    return DOCS_URL
