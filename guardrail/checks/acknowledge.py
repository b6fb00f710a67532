"""Acknowledging a gap without switching the check off.

A reviewer adds a label (`guardrail:no-rollback-needed`, or `guardrail:acknowledged` for every
check), or the author ticks a line in the description:

    - [x] guardrail: acknowledge GR101 — a docs hotfix, nothing to roll back

Either way a reason is required, written in the description on a line
`guardrail: acknowledge <rule, check or label>: <reason>`; an acknowledgement without one is
itself a finding (GR903) and does not apply. Configuration decides which way may acknowledge
which check (labels, which only people with triage or write access can add, and/or the
description, which the author writes). Acknowledged gaps leave the verdict and are listed in the
comment with who acknowledged them how, and why. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guardrail.analysis.markdown import normalize, visible_lines
from guardrail.config import DEFAULT_PLACEHOLDERS, Config
from guardrail.model import Acknowledged, Finding, PullRequest
from guardrail.rules import REGISTRY, by_code
from guardrail.text import code, md, plain

GR903 = by_code("GR903")
ALL = "all"


@dataclass(frozen=True)
class Ack:
    rule: str
    how: str  # "label `guardrail:no-rollback-needed`" | "the description"
    reason: str
    finding: Finding | None = None
    label: str | None = None


def acknowledged(acks: list[Ack], pr: PullRequest) -> list[Acknowledged]:
    """The findings acknowledgements took out, with who: the login that added the label (when
    the source knows), or the PR's author for a line of the description."""
    actors = dict(reversed(pr.label_actors))  # the latest labelling wins
    actors = {k.lower(): v for k, v in actors.items()}
    return [
        Acknowledged(
            finding=a.finding,
            status="acknowledged",
            how="label" if a.label else "description",
            reason=a.reason,
            by=actors.get(a.label.lower()) if a.label else pr.author,
            label=a.label,
        )
        for a in acks
        if a.finding is not None
    ]


@dataclass(frozen=True)
class _Line:
    ticked: bool
    targets: tuple[str, ...]
    reason: str


MIN_REASON_WORDS = 2
MIN_REASON_LETTERS = 8


def explains(reason: str) -> bool:
    """Is this a reason, words that explain? Not punctuation (`.`), not one word (`ok`), not a
    placeholder (`n/a`, `tbd`): at least two words of letters and eight letters in all."""
    words = ["".join(ch for ch in w if ch.isalpha()) for w in reason.split()]
    words = [w for w in words if len(w) >= 2]
    if len(words) < MIN_REASON_WORDS or sum(len(w) for w in words) < MIN_REASON_LETTERS:
        return False
    return normalize(reason) not in _PLACEHOLDERS


_PLACEHOLDERS = frozenset(normalize(p) for p in DEFAULT_PLACEHOLDERS) | {
    "no reason",
    "trust me",
    "not sure",
    "see above",
    "see below",
    "it is fine",
    "its fine",
    "it s fine",
    "looks fine",
    "looks good",
}


def _lines(body: str) -> list[_Line]:
    """Acknowledgement lines of what a reader of the description sees (markdown.visible_lines):
    text in image alt text, HTML comments, link titles, or elements GitHub does not show or
    its author hid does not count."""
    out: list[_Line] = []
    for raw in visible_lines(body):
        text = raw.strip()
        ticked = True
        low = text.lower()
        if low.startswith("[ ]"):
            ticked, text = False, text[3:].strip()
        elif low.startswith("[x]"):
            text = text[3:].strip()
        low = text.lower()
        prefix = "guardrail: acknowledge"
        if not low.startswith(prefix):
            continue
        rest = text[len(prefix) :].strip()
        targets: list[str] = []
        # Targets are comma- or space-separated; the reason keeps its own commas.
        words = rest.split()
        i = 0
        while i < len(words):
            names = [n for n in words[i].rstrip(":").split(",") if n]
            if names and all(_is_target(n) for n in names):
                targets.extend(names)
                if words[i].endswith(":"):
                    i += 1
                    break
                i += 1
            else:
                break
        reason = " ".join(words[i:]).lstrip(":—–- ").strip()
        out.append(_Line(ticked, tuple(targets), reason if explains(reason) else ""))
    return out


def _is_target(word: str) -> bool:
    w = word.lower()
    rule = len(w) > 2 and w.startswith("gr") and w[2:].isdigit()
    return rule or w in _CHECK_NAMES or w.startswith("guardrail:")


_CHECK_NAMES = frozenset(
    {
        "rollback-note",
        "migration-plan",
        "migration-safety",
        "migration-integrity",
        "deploy-order",
        "legacy-data-tests",
        "all",
    }
)


def _own(target: str, finding: Finding) -> bool:
    """The target names the finding's own rule (its code or name)."""
    t = target.strip().lower()
    rule = REGISTRY.get(finding.rule)
    return t.upper() == finding.rule or bool(rule and t == rule.name)


def _folded(target: str, finding: Finding) -> str | None:
    """The code of a rule the finding took in (engine.fold) that the target names, by code or
    name: GR512's line that took in GR210 is what an acknowledgement of GR210 is about. A
    whole check (or its label) carries no further than its own check: acknowledging
    migration-safety says nothing about the deploy order."""
    t = target.strip().lower()
    for c in finding.folded:
        rule = REGISTRY.get(c)
        if t == c.lower() or bool(rule and t == rule.name):
            return c
    return None


def _matches(target: str, finding: Finding, label_checks: dict[str, str]) -> bool:
    t = target.strip().lower()
    if _own(t, finding) or t == finding.check or t == ALL:
        return True
    if t in label_checks:
        return label_checks[t] in (finding.check, ALL)
    return False


def apply(
    findings: list[Finding], pr: PullRequest, config: Config
) -> tuple[list[Finding], list[Ack], list[Finding]]:
    """(findings left, acknowledgements applied, problems with acknowledgements as findings).

    A finding that took in another rule's (engine.fold) is acknowledged by an acknowledgement
    of that rule too, in the ways both checks allow (GR210's migration-safety by default only
    by a reviewer's label, so an author cannot clear it through GR512's line)."""
    ac = config.acknowledge
    label_checks = {k.lower(): v for k, v in ac.labels.items()}
    present = [lab for lab in pr.labels if lab.lower() in label_checks]
    lines = _lines(pr.body)
    if not present and not lines:
        return findings, [], []

    def ways(check: str) -> tuple[str, ...]:
        return tuple(ac.allow.get(check, ac.allow.get(ALL, ("label", "description"))))

    kept: list[Finding] = []
    acks: list[Ack] = []
    problems: dict[str, Finding] = {}
    for f in findings:
        if f.rule == GR903.code or f.check == "analysis":
            kept.append(f)
            continue
        ack = _by_label(f, present, lines, label_checks, ways, problems) or _by_description(
            f, lines, label_checks, ways, problems
        )
        if ack is None:
            kept.append(f)
        else:
            acks.append(ack)
    return kept, acks, list(problems.values())


def _by_label(
    f: Finding,
    present: list[str],
    lines: list[_Line],
    label_checks: dict[str, str],
    ways: Callable[[str], tuple[str, ...]],
    problems: dict[str, Finding],
) -> Ack | None:
    carried = {c: REGISTRY[c].check for c in f.folded if c in REGISTRY}
    for lab in present:
        lab_check = label_checks[lab.lower()]
        own = lab_check in (f.check, ALL)
        codes = {c for c, check in carried.items() if check == lab_check}
        if not own and not codes:
            continue
        allowed = ways(f.check) if own else tuple(w for w in ways(f.check) if w in ways(lab_check))
        if "label" not in allowed:
            problems.setdefault(
                f"label:{lab}:{f.check}",
                GR903.finding(
                    f"The label {code(lab)} cannot acknowledge {f.check} here.",
                    f"The configuration allows {', '.join(allowed) or 'nothing'} for {f.check}.",
                ),
            )
            continue
        if own:
            named = [
                ln.reason
                for ln in lines
                if ln.reason
                and any(t.lower() in (lab.lower(), f.check, ALL) or _own(t, f) for t in ln.targets)
            ]
        else:  # the label of a folded rule's check: its reason line names that rule
            named = [
                ln.reason
                for ln in lines
                if ln.reason and any(_folded(t, f) in codes for t in ln.targets)
            ]
        if named:
            return Ack(f.rule, f"label {code(lab)}", named[0], f, lab)
        if own:
            problems.setdefault(
                f"label:{lab}",
                GR903.finding(
                    f"The label {code(lab)} acknowledges a gap without saying why.",
                    f"Add a line to the description: `guardrail: acknowledge {lab}: <the reason>`, "
                    "in a few words that explain (a dot or a single word is not a reason).",
                ),
            )
    return None


def _by_description(
    f: Finding,
    lines: list[_Line],
    label_checks: dict[str, str],
    ways: Callable[[str], tuple[str, ...]],
    problems: dict[str, Finding],
) -> Ack | None:
    for ln in lines:
        if not ln.ticked:
            continue
        own = any(_matches(t, f, label_checks) for t in ln.targets)
        folded = [c for c in (_folded(t, f) for t in ln.targets) if c is not None]
        if not own and not folded:
            continue
        if any(t.lower() in label_checks for t in ln.targets) and not any(
            _own(t, f) or _folded(t, f) or t.lower() == f.check for t in ln.targets
        ):
            continue  # a reason line for a label, handled above
        allowed = ways(f.check)
        if not own:
            allowed = tuple(w for w in allowed if all(w in ways(REGISTRY[c].check) for c in folded))
        if "description" not in allowed:
            named = f.check if own else REGISTRY[folded[0]].check
            problems.setdefault(
                f"desc:{named}",
                GR903.finding(
                    f"{named} gaps can only be acknowledged by a reviewer's label here.",
                    f"Ask a reviewer to add the label for {named}, with the reason in the description.",
                ),
            )
            return None
        if not ln.reason:
            rule = f.rule if own else folded[0]
            problems.setdefault(
                f"desc:{rule}",
                GR903.finding(
                    f"The acknowledgement of {rule} in the description has no reason.",
                    f"Write it as `guardrail: acknowledge {rule}: <the reason>`, in a few words that "
                    "explain (a dot or a single word is not a reason).",
                ),
            )
            return None
        return Ack(f.rule, "the description", ln.reason, f)
    return None


def summary(acks: list[Ack]) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    for a in acks:
        seen.setdefault((a.rule, a.how), a.reason)
    return [
        f"Acknowledged {rule} by {how}: {md(plain(reason, 120))}"
        for (rule, how), reason in seen.items()
    ]
