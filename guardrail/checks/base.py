"""What a check is: a pure function of the Analysis (guardrail/analysis/core.py) that yields
findings, answers (a question found answered) and notes, in any order."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from guardrail.analysis.core import Analysis, Fact
from guardrail.model import Acknowledged, Answer, Finding, Note

Output = Finding | Answer | Note | Acknowledged
Check = Callable[[Analysis], Iterable[Output]]

__all__ = ["Analysis", "Check", "Fact", "Output"]
