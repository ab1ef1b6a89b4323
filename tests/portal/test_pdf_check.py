"""The start-up check that PDFs can be rendered fast (issue 17: HarfBuzz font subsetting)."""

from django.core import checks
from weasyprint.text import ffi


def warnings_ids() -> list[str]:
    return [message.id for message in checks.run_checks() if message.id]


def test_the_start_up_check_is_quiet_when_harfbuzz_subsetting_loads():
    assert ffi.harfbuzz_subset is not None, "make install installs libharfbuzz-subset0"
    assert "portal.W001" not in warnings_ids()


def test_the_start_up_check_warns_when_harfbuzz_subsetting_is_missing(monkeypatch):
    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    warning = next(m for m in checks.run_checks() if m.id == "portal.W001")
    assert warning.level == checks.WARNING
    assert "libharfbuzz-subset0" in warning.hint
