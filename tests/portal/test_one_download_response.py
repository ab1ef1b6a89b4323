"""Issue 13: a private document (a letter, an invoice, a scan, printed codes) is downloaded through
the one response in lib/downloads.py, which names it, forbids sniffing and keeps it out of caches:
this test reads the apps' source and fails on any view or admin building its own."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = [
    "abuse",
    "accounts",
    "api",
    "billing",
    "catalogue",
    "einvoicing",
    "lib",
    "passes",
    "portal",
    "privacy",
    "subscriptions",
    "terminations",
]
THE_ONE = ROOT / "lib" / "downloads.py"


def own_downloads(path: Path) -> list[str]:
    """`FileResponse(...)` calls and `"Content-Disposition"` headers written in `path`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        builds_file = (
            isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            == "FileResponse"
        )
        names_file = isinstance(node, ast.Constant) and node.value == "Content-Disposition"
        if builds_file or names_file:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_private_download_goes_through_lib_downloads():
    sources = [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path != THE_ONE
    ]
    assert sources
    assert [where for path in sources for where in own_downloads(path)] == []
