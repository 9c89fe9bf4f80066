"""The bundled sample recording: copied into a fresh data directory so ``make run`` has a recording.

Copying (rather than pointing storage at ``sample/``) keeps the repository clean and lets the data
directory look exactly like the bucket: recordings under ``ivs/``, clips under ``clips/``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from handlers.storage.base import Storage

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "sample"
MASTER_SUFFIX = "/media/hls/master.m3u8"
SKIPPED = frozenset({"README.md"})


def install_sample(data_dir: Path, sample_dir: Path = SAMPLE_DIR, marker: str = "ivs") -> bool:
    """Copy the sample's tree into ``data_dir`` unless it already holds ``marker``; says if it copied.

    The copy is staged in a sibling temporary directory and moved into place entry by entry, so
    an interrupted first start does not leave a half-copied ``ivs/`` that blocks later copies.
    """
    if (data_dir / marker).exists() or not sample_dir.is_dir():
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = [p for p in sorted(sample_dir.iterdir()) if p.name not in SKIPPED]
    if not entries:
        return False
    with tempfile.TemporaryDirectory(prefix=".sample-", dir=data_dir) as staging:
        for entry in entries:
            target = Path(staging) / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                shutil.copy2(entry, target)
        for entry in entries:
            destination = data_dir / entry.name
            if not destination.exists():
                (Path(staging) / entry.name).rename(destination)
    return True


def find_master_key(root: Path, prefixes: str | Sequence[str] = "ivs/") -> str | None:
    """The first recording master playlist under ``root/<prefix>`` (by key order), as a storage key."""
    for prefix in [prefixes] if isinstance(prefixes, str) else prefixes:
        base = root / prefix.rstrip("/")
        if not base.is_dir():
            continue
        keys = sorted(p.relative_to(root).as_posix() for p in base.rglob("master.m3u8") if p.is_file())
        found = next((k for k in keys if k.endswith(MASTER_SUFFIX)), None)
        if found:
            return found
    return None


def find_master_key_in_storage(
    storage: Storage, prefixes: str | Sequence[str] = "ivs/", max_pages: int = 5
) -> str | None:
    """Like :func:`find_master_key` for any store, looking at a few listing pages only (a big bucket)."""
    for prefix in [prefixes] if isinstance(prefixes, str) else prefixes:
        token: str | None = None
        for _ in range(max_pages):
            page = storage.list(prefix, token=token)
            found = next((o.key for o in page.objects if o.key.endswith(MASTER_SUFFIX)), None)
            if found:
                return found
            if not page.next_token:
                break
            token = page.next_token
    return None
