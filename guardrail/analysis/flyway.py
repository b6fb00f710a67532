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

The build's own Flyway runs are read too, each as a list of its own (`mvn flyway:migrate` and
`gradle flywayMigrate` run Flyway apart from the application): Maven's `pom.xml` (the
`flyway-maven-plugin`'s `<configuration><locations>` and each execution's, or the
`flyway.locations` property), parsed with the standard library's ElementTree; and Gradle's
`build.gradle`/`build.gradle.kts` (`flyway { locations = [...] }`, `arrayOf(...)`/`listOf(...)`,
and the same in a `FlywayMigrateTask`). A Gradle script is a Groovy or Kotlin program: its
grammars would add 4.7 MB to the image for this one setting, and the published Groovy grammar
(0.1.2) does not parse common Gradle syntax (`task x(type: T) { }`). So the script is read by a
small scanner instead: comments are dropped by a tokenizer that knows strings, and only a
literal list assigned to `locations` inside a block whose header names Flyway is taken; any
other value (a variable, an expression) makes that list unknown. `filesystem:` locations of a
build are relative to its module's folder (the pom's or script's), not the repository root.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Iterable
from typing import Any

ROOT_CONFIGS = ("flyway.conf", "conf/flyway.conf", "flyway.toml")
BUILD_FILES = ("pom.xml", "build.gradle", "build.gradle.kts")
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


def module_folder(root: str) -> str:
    """The module a location belongs to (`api` of `api/src/main/resources/db/migration`), ""
    for the repository root: where its pom.xml or Gradle script is."""
    folder = resources_folder(root)
    if folder is None:
        return ""
    return posixpath.dirname(posixpath.dirname(posixpath.dirname(folder)))


def config_files(paths: Iterable[str], root: str) -> list[str]:
    """The configuration files that may set the locations for a migration under `root`: the
    root configs and Spring's application files that are listed, and the build files of the
    location's module and of the repository root (guessed: a missing one reads as None)."""
    folder = resources_folder(root)
    out = [p for p in paths if p in ROOT_CONFIGS]
    if folder is not None:
        out += [
            p
            for p in paths
            if posixpath.dirname(p) == folder and _SPRING.match(posixpath.basename(p))
        ]
    module = module_folder(root)
    for base in dict.fromkeys((module, "")):
        out += [f"{base}/{name}" if base else name for name in BUILD_FILES]
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


def _pom(text: str) -> list[list[str]]:
    """The locations lists of a pom.xml's Flyway Maven plugin (its configuration and each
    execution's) and of its `flyway.locations` property."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return [["{unreadable pom.xml}"]]

    def tag(el: ET.Element) -> str:
        return el.tag.rsplit("}", 1)[-1]

    out: list[list[str]] = []
    for el in root.iter():
        if tag(el) == "properties":
            for prop in el:
                if tag(prop) == "flyway.locations" and prop.text:
                    out.append(_split(prop.text) or [])
        if tag(el) != "plugin":
            continue
        artifact = next((c.text for c in el if tag(c) == "artifactId"), None)
        if (artifact or "").strip() != "flyway-maven-plugin":
            continue
        for conf in el.iter():
            if tag(conf) != "configuration":
                continue
            for locs in conf:
                if tag(locs) == "locations":
                    entries = [(c.text or "").strip() for c in locs if tag(c) == "location"]
                    if not entries and locs.text:
                        entries = _split(locs.text) or []
                    out.append([e for e in entries if e])
    return [entries for entries in out if entries]


_GRADLE_TOKENS = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')""",
    re.DOTALL,
)
_LOCATIONS = re.compile(
    r"\blocations\s*=\s*(?:\[(?P<groovy>[^\]]*)\]|(?:arrayOf|listOf|mutableListOf)\((?P<kotlin>[^)]*)\))"
)
_ANY_LOCATIONS = re.compile(r"\blocations\s*=")
_LITERAL = re.compile(r"""^\s*(?:"([^"$\\]*)"|'([^'\\]*)')\s*$""")


def _gradle(text: str) -> list[list[str]]:
    """The `locations` lists of a Gradle script's Flyway blocks (see the module docstring:
    a scanner, for a documented reason). A block whose value is not a literal list gives a
    list guardrail cannot place."""
    # Comments out, strings kept (a `//` inside a string is not a comment).
    code = _GRADLE_TOKENS.sub(lambda m: m.group("string") or " ", text)
    out: list[list[str]] = []
    for header, body in _blocks(code):
        if "flyway" not in header.lower():
            continue
        for m in _ANY_LOCATIONS.finditer(body):
            lit = _LOCATIONS.match(body, m.start())
            inner = None if lit is None else (lit.group("groovy") or lit.group("kotlin") or "")
            if inner is None:
                out.append(["{not a literal list}"])
                continue
            entries = []
            for item in _split_items(inner):
                one = _LITERAL.match(item)
                entries.append((one.group(1) or one.group(2)) if one else "{not a literal}")
            out.append(entries)
    return out


def _split_items(inner: str) -> list[str]:
    """The items of a list's inside, split at the commas outside strings."""
    items: list[str] = []
    start = 0
    for m in re.finditer(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|,""", inner):
        if m.group(0) == ",":
            items.append(inner[start : m.start()])
            start = m.end()
    items.append(inner[start:])
    return [i for i in items if i.strip()]


def _blocks(code: str) -> list[tuple[str, str]]:
    """(header, body) of each `{ … }` block of a comment-free script: the header is the text
    since the previous statement's end; braces inside strings do not count."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    last_end = 0
    i = 0
    while i < len(code):
        ch = code[i]
        if ch in "\"'":
            m = _GRADLE_TOKENS.match(code, i)
            i = m.end() if m is not None else i + 1
            continue
        if ch == "{":
            header = code[last_end:i].strip().rsplit("\n", 1)[-1]
            stack.append((i + 1, header))
            last_end = i + 1
        elif ch == "}" and stack:
            start, header = stack.pop()
            out.append((header, code[start:i]))
            last_end = i + 1
        elif ch in ";":
            last_end = i + 1
        i += 1
    return out


def build_locations(path: str, text: str) -> list[list[str]]:
    """The locations lists a build file's Flyway runs use (none: an empty list)."""
    name = posixpath.basename(path)
    if name == "pom.xml":
        return _pom(text)
    if name.endswith((".gradle", ".gradle.kts")):
        return _gradle(text)
    return []


def locations(path: str, text: str) -> list[str] | None:
    """The locations one configuration file sets; None when it sets none."""
    name = posixpath.basename(path)
    if name.endswith(".toml"):
        return _toml(text)
    if name.endswith((".yml", ".yaml")):
        return _yaml(text)
    return _properties(text)


def _folder(location: str, resources: str | None, base: str = "") -> str | None:
    """A location as a repository folder: `classpath:db/migration/dev` under the resources
    folder, `filesystem:sql` from `base` (the repository root, or a build's module folder);
    None when it cannot be placed."""
    if "{" in location or "$" in location or "*" in location:
        return None
    prefix, sep, rest = location.partition(":")
    if not sep:
        prefix, rest = "classpath", location
    rest = rest.strip().strip("/")
    if prefix == "classpath":
        return f"{resources}/{rest}" if resources is not None else None
    if prefix == "filesystem":
        return posixpath.normpath(posixpath.join(base, rest.removeprefix("./")))
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
    builds: list[tuple[list[str], str]] = []  # (a build's list, its module folder)
    for path, text in configs.items():
        if text is None:
            continue  # listed but not in the commit (a root file guessed at): no setting
        if posixpath.basename(path) in BUILD_FILES:
            builds += [
                (entries, posixpath.dirname(path)) for entries in build_locations(path, text)
            ]
            continue
        found = locations(path, text)
        m = _SPRING.match(posixpath.basename(path))
        if found is None:
            continue
        if m is not None and m.group(1):
            profiles.append(found)
        else:
            default = found
    lists = [(e, "") for e in ([default] if default is not None else []) + profiles] + builds
    if not lists:
        return None
    fa, fb = posixpath.dirname(a), posixpath.dirname(b)
    answer: bool | None = False
    for entries, base in lists:
        folders = [_folder(e, resources, base) for e in entries]
        if _covers(folders, fa) and _covers(folders, fb):
            return True
        if None in folders:
            answer = None  # a list guardrail cannot place: unknown unless another says True
    return answer
