"""The statuses of lines, numbers and SIMs are written by their life cycle functions only
(subscriptions/lifecycle/records.py), and a line ends through subscriptions/services/ending.py
only: this test
reads the apps' source and fails on any other write, so a new admin, sweep or service cannot
bypass the claim and the history."""

import ast
from pathlib import Path

from django.conf import settings

from subscriptions.admin.records import MobileNumberAdmin, SimCardAdmin

ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "billing", "catalogue", "portal", "privacy", "subscriptions", "terminations"]
MODELS = {"Line", "MobileNumber", "SimCard"}
LIFECYCLE = ROOT / "subscriptions" / "lifecycle" / "records.py"
ENDING = ROOT / "subscriptions" / "services" / "ending.py"
WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}


def _sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _status_aliases(tree: ast.Module) -> set[str]:
    """Module names bound to a status enum of these models (`N = MobileNumber.Status`)."""
    aliases = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
            value = node.value
            if value.attr == "Status" and _names(value.value) & MODELS:
                aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return aliases


def _is_status_value(node: ast.AST, aliases: set[str]) -> bool:
    """`SimCard.Status.RETIRED`, `N.QUARANTINE`, or a literal of those models' statuses."""
    if isinstance(node, ast.Attribute):
        base = node.value
        if isinstance(base, ast.Name) and base.id in aliases:
            return True
        if isinstance(base, ast.Attribute) and base.attr == "Status":
            return bool(_names(base.value) & MODELS)
    return False


def status_writes(path: Path) -> list[str]:
    """Writes of a line's, number's or SIM's status in `path`: `<Model>.objects...update(status=)`
    and the like, any query's `update(status=<Model>.Status.X)`, `x.status = <Model>.Status.X`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = _status_aliases(tree)
    found = []
    for node in ast.walk(tree):
        query_write = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and any(
                keyword.arg == "status"
                and (_names(node.func.value) & MODELS or _is_status_value(keyword.value, aliases))
                for keyword in node.keywords
            )
        )
        attribute_write = (
            isinstance(node, ast.Assign)
            and _is_status_value(node.value, aliases)
            and any(isinstance(t, ast.Attribute) and t.attr == "status" for t in node.targets)
        )
        if query_write or attribute_write:
            found.append(_where(path, node))
    return found


def terminations(path: Path) -> list[str]:
    """Calls of `line_transition`/`lines_transition` to TERMINATED in `path`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in {"line_transition", "lines_transition"}:
                to = next((k.value for k in node.keywords if k.arg == "to"), None)
                if to is not None and (
                    "TERMINATED" in _names(to)
                    or (isinstance(to, ast.Constant) and to.value == "terminated")
                ):
                    found.append(_where(path, node))
    return found


def test_statuses_of_lines_numbers_and_sims_are_written_by_their_life_cycle_only():
    writes = [w for path in _sources() if path != LIFECYCLE for w in status_writes(path)]
    assert writes == []


def test_r17_3_a_line_is_terminated_by_subscriptions_ending_only():
    found = [f for path in _sources() if path != ENDING for f in terminations(path)]
    assert found == []


def test_the_scan_finds_the_writes_it_forbids(tmp_path):
    """The scanner itself, on a module that does what is forbidden."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from subscriptions.models import MobileNumber, SimCard\n"
        "N = MobileNumber.Status\n"
        "SimCard.objects.filter(pk=1).update(status=SimCard.Status.RETIRED)\n"
        "in_stock(boutique).filter(pk=1).update(status=SimCard.Status.ASSIGNED)\n"
        "MobileNumber.objects.filter(pk=1).update(status=N.AVAILABLE)\n"
        "sim.status = SimCard.Status.IN_STOCK\n"
        "lines_transition(lines=[], to=S.TERMINATED, reason='x', job='y')\n"
    )
    assert len(status_writes(sample)) == 4
    assert len(terminations(sample)) == 1


def test_the_admin_shows_but_never_edits_a_status():
    assert "status" in SimCardAdmin.readonly_fields
    assert "status" in MobileNumberAdmin.readonly_fields
