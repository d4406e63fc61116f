"""Refused items move to ``quarantine/<account>/`` with a reason file beside them."""

from __future__ import annotations

import shutil
from pathlib import Path

from inbox.discovery import InboxItem, shown


def quarantine(
    item: InboxItem,
    quarantine_dir: Path,
    reason: str,
    *,
    member: str | None = None,
    row: int | None = None,
) -> Path:
    """Move a refused item out of the inbox, with ``<name>.reason.txt`` beside it naming the
    item, the file inside the archive and the data row (after the header) where known."""
    folder = quarantine_dir / item.account
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / item.name
    counter = 1
    while target.exists():
        target = folder / f"{item.path.stem}.{counter}{item.path.suffix}"
        counter += 1
    shutil.move(str(item.path), target)
    _owner_only(target)
    reason_file = target.with_name(target.name + ".reason.txt")
    where = [f"Item: {shown(item.name)}"]
    if member:
        where.append(f"Inside the item: {shown(member)}")
    if row is not None:
        where.append(f"Row: {row} (counting data rows after the header)")
    reason_file.write_text(
        f"{shown(item.name)} (account {item.account}, observed {item.observed_on}) was not "
        f"loaded.\nReason: {' '.join(shown(reason).split())}\n"
        + "\n".join(where)
        + "\nFix the file and drop it in the inbox again; nothing from it was stored.\n"
    )
    return target


def _owner_only(path: Path) -> None:
    """The moved item keeps the mode it had in the inbox (often world-readable): the
    quarantine is the project's, and owner-only like the rest of the home."""
    if path.is_symlink():
        return
    path.chmod(0o700 if path.is_dir() else 0o600)
    if path.is_dir():
        for child in path.rglob("*"):
            if not child.is_symlink():
                child.chmod(0o700 if child.is_dir() else 0o600)
