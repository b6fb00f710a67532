"""Point action.yml at a published image instead of the Dockerfile, for a release tag.

Used by .github/workflows/release.yml on the commit it tags: users who pin that tag (or its SHA)
start from `docker://ghcr.io/<owner>/<repo>:<version>` and skip building the image in every job,
while `main` keeps `image: Dockerfile` so the repository's own workflows test what they build.

    python scripts/pin_action_image.py ghcr.io/owner/guardrail 1.4.0 [action.yml]

Only the `runs.image` line changes; everything else of action.yml stays byte for byte.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_IMAGE = re.compile(r"^ghcr\.io/[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._/-]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_LINE = re.compile(r"^(  image:\s*)(\S.*)$", re.M)


def pin(text: str, image: str, version: str) -> str:
    if not _IMAGE.fullmatch(image):
        raise ValueError(f"not a lower-case ghcr.io image name: {image!r}")
    if not _VERSION.fullmatch(version):
        raise ValueError(f"not a version like 1.4.0: {version!r}")
    runs = text.find("\nruns:")
    if runs < 0:
        raise ValueError("action.yml has no top-level `runs:`")
    found = _LINE.search(text, runs)
    if found is None or found.group(2).strip("'\"") != "Dockerfile":
        raise ValueError("action.yml's runs.image is not `Dockerfile`; nothing to pin")
    start, end = found.span(2)
    return text[:start] + f"docker://{image}:{version}" + text[end:]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__ or "")
        return 2
    path = Path(argv[2] if len(argv) == 3 else "action.yml")
    try:
        path.write_text(pin(path.read_text(), argv[0], argv[1]))
    except ValueError as exc:
        sys.stderr.write(f"pin_action_image: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
