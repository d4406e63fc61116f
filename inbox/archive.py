"""Every item is kept under ``archive/`` by content hash before anything reads it."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from inbox.discovery import InboxItem


def keep_in_archive(item: InboxItem, archive: Path) -> Path:
    """Copy the item to ``archive/`` under its content hash before anything reads it."""
    archive.mkdir(parents=True, exist_ok=True)
    suffix = {"follower_list": ".csv", "follower_analytics": ".xlsx"}.get(item.kind, ".zip")
    target = archive / f"{item.sha256}{suffix}"
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    if item.path.is_dir():
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(p for p in item.path.rglob("*") if p.is_file()):
                bundle.write(path, path.relative_to(item.path).as_posix())
    else:
        shutil.copyfile(item.path, partial)
    partial.replace(target)
    return target
