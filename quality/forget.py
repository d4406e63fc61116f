"""Erasing one person from the kept validation results (`lnw forget`): GX keeps samples of
values that fail a check, which may be a profile URL or a person key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quality.data_docs import _write

FORGOTTEN = "(forgotten)"


def _scrub(value: Any, needles: list[str]) -> tuple[Any, bool]:
    if isinstance(value, str):
        hit = any(n in value.casefold() for n in needles)
        return (FORGOTTEN, True) if hit else (value, False)
    if isinstance(value, list):
        kept, changed = [], False
        for item in value:
            if isinstance(item, str) and any(n in item.casefold() for n in needles):
                changed = True  # a sample value: dropped, not replaced
                continue
            item, hit = _scrub(item, needles)
            kept.append(item)
            changed |= hit
        return kept, changed
    if isinstance(value, dict):
        out, changed = {}, False
        for key, item in value.items():
            out[key], hit = _scrub(item, needles)
            changed |= hit
        return out, changed
    return value, False


def forget_in_results(results: Path, needles: list[str]) -> int:
    """Remove every string holding one of ``needles`` (case-insensitive) from the kept
    results under ``results``; returns how many files changed. Rebuild the site after."""
    wanted = [n.casefold() for n in needles if n]
    changed = 0
    for path in sorted(results.rglob("*.json")) if results.exists() else []:
        data = json.loads(path.read_text())
        scrubbed, hit = _scrub(data, wanted)
        if hit:
            _write(path, json.dumps(scrubbed, indent=1, default=str))
            changed += 1
    return changed
