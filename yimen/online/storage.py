"""Where uploaded files live: `settings.YIMEN_ONLINE_FILES_ROOT`, outside the web root (not under
STATIC_ROOT or MEDIA_ROOT, so no web server configuration can serve them by accident). Names are
random; the client's file name is kept only as a label in the database."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def root() -> Path:
    base = Path(settings.YIMEN_ONLINE_FILES_ROOT).resolve()
    for name in ("STATIC_ROOT", "MEDIA_ROOT"):
        served = getattr(settings, name, None)
        if served and _inside(base, Path(served).resolve()):
            raise ImproperlyConfigured(
                f"YIMEN_ONLINE_FILES_ROOT ({base}) must not be inside {name} ({served})"
            )
    return base


def _inside(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def new_name(folder: str, extension: str) -> str:
    return f"{folder}/{secrets.token_hex(16)}{extension}"


def path_of(stored_name: str) -> Path:
    base = root()
    path = (base / stored_name).resolve()
    if not _inside(path, base):  # a stored name is ours, but never follow one out of the root
        raise ValueError("stored file outside the online files root")
    return path


def save(stored_name: str, chunks) -> None:
    path = path_of(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    with open(path, "xb") as out:
        for chunk in chunks:
            out.write(chunk)
    path.chmod(0o640)


def delete(stored_name: str) -> None:
    try:
        path_of(stored_name).unlink()
    except FileNotFoundError:
        pass


def read(stored_name: str) -> bytes:
    return path_of(stored_name).read_bytes()
