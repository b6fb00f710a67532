"""Flyway's `locations`: which migration folders one run of Flyway reads together.

Flyway reads every versioned migration under each configured location, sub-folders included,
into one version space. Projects keep folders apart per environment by giving each profile its
own list (`spring.flyway.locations=classpath:db/migration/common,classpath:db/migration/dev`),
so two sibling folders may or may not be read together: the configuration says which.

Read here, from the base branch: Spring Boot's `application[-<profile>].properties|yml|yaml`
next to the location (`src/main/resources`), whose profile files override the default file's
list, and `flyway.conf`/`conf/flyway.conf` (`flyway.locations=`) and `flyway.toml`
(`[flyway] locations = [...]`) at the repository root. Parsed with the standard library's
`tomllib`, the YAML reader of analysis/yamlsafe.py and the `key=value` lines of Java properties.
A location written with a placeholder (`{vendor}`) or in a form not listed here leaves the
answer unknown.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Iterable
from typing import Any

ROOT_CONFIGS = ("flyway.conf", "conf/flyway.conf", "flyway.toml")
_SPRING = re.compile(r"^application(?:-([\w.-]+))?\.(properties|ya?ml)$")
_KEYS = ("spring.flyway.locations", "flyway.locations")


def resources_folder(root: str) -> str | None:
    """`<module>/src/main/resources` of a location `<module>/src/main/resources/db/migration`,
    where Spring reads `classpath:` locations and its application files; None elsewhere."""
    marker = "src/main/resources"
    at = f"/{root}/".rfind(f"/{marker}/")
    if at < 0:
        return None
    return f"/{root}/"[1 : at + 1 + len(marker)]


def config_files(paths: Iterable[str], root: str) -> list[str]:
    """The configuration files that may set the locations for a migration under `root`."""
    folder = resources_folder(root)
    out = [p for p in paths if p in ROOT_CONFIGS]
    if folder is not None:
        out += [
            p
            for p in paths
            if posixpath.dirname(p) == folder and _SPRING.match(posixpath.basename(p))
        ]
    return out


def _split(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def _properties(text: str) -> list[str] | None:
    found = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if sep and key.strip() in _KEYS:
            found = _split(value)
    return found


def _dig(doc: object, dotted: str) -> object:
    """`spring.flyway.locations` from nested mappings, or from keys that hold dots."""
    if not isinstance(doc, dict):
        return None
    if dotted in doc:
        return doc[dotted]
    head, _, rest = dotted.partition(".")
    while rest:
        if head in doc:
            found = _dig(doc[head], rest)
            if found is not None:
                return found
        nxt, _, rest = rest.partition(".")
        head = f"{head}.{nxt}"
    return None


def _yaml(text: str) -> list[str] | None:
    import yaml

    from guardrail.analysis.yamlsafe import load

    found = None
    for part in re.split(r"(?m)^---\s*$", text):
        try:
            doc: Any = load(part)
        except yaml.YAMLError:
            continue
        profile = isinstance(doc, dict) and (
            _dig(doc, "spring.config.activate.on-profile") is not None
            or _dig(doc, "spring.profiles") is not None
        )
        for key in _KEYS:
            if profile and _dig(doc, key) is not None:
                # A profile's own document with its own list: how the documents combine is not
                # modelled, so the file's answer is unknown (a location nobody can place).
                return ["{profile document}"]
        for key in _KEYS:
            value = _split(_dig(doc, key))
            if value is not None:
                found = value
    return found


def _toml(text: str) -> list[str] | None:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    flyway = doc.get("flyway")
    return _split(flyway.get("locations")) if isinstance(flyway, dict) else None


def locations(path: str, text: str) -> list[str] | None:
    """The locations one configuration file sets; None when it sets none."""
    name = posixpath.basename(path)
    if name.endswith(".toml"):
        return _toml(text)
    if name.endswith((".yml", ".yaml")):
        return _yaml(text)
    return _properties(text)


def _folder(location: str, resources: str | None) -> str | None:
    """A location as a repository folder: `classpath:db/migration/dev` under the resources
    folder, `filesystem:sql` from the repository root; None when it cannot be placed."""
    if "{" in location or "$" in location or "*" in location:
        return None
    prefix, sep, rest = location.partition(":")
    if not sep:
        prefix, rest = "classpath", location
    rest = rest.strip().strip("/")
    if prefix == "classpath":
        return f"{resources}/{rest}" if resources is not None else None
    if prefix == "filesystem":
        return posixpath.normpath(rest.removeprefix("./"))
    return None


def _covers(folders: list[str | None], folder: str) -> bool:
    return any(f is not None and (folder == f or folder.startswith(f + "/")) for f in folders)


def read_together(a: str, b: str, root: str, configs: dict[str, str | None]) -> bool | None:
    """Whether one Flyway run reads both files (paths): True when one effective list of
    locations (the default file's, or a profile's, which replaces it) covers both folders;
    False when the lists are all known and none does; None when the configuration does not say
    (no list found, a placeholder, a file not read)."""
    resources = resources_folder(root)
    default: list[str] | None = None
    profiles: list[list[str]] = []
    for path, text in configs.items():
        if text is None:
            continue  # listed but not in the commit (a root file guessed at): no setting
        found = locations(path, text)
        m = _SPRING.match(posixpath.basename(path))
        if found is None:
            continue
        if m is not None and m.group(1):
            profiles.append(found)
        else:
            default = found
    lists = ([default] if default is not None else []) + profiles
    if not lists:
        return None
    fa, fb = posixpath.dirname(a), posixpath.dirname(b)
    answer: bool | None = False
    for entries in lists:
        folders = [_folder(e, resources) for e in entries]
        if _covers(folders, fa) and _covers(folders, fb):
            return True
        if None in folders:
            answer = None  # a list guardrail cannot place: unknown unless another says True
    return answer
