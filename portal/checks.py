"""Start-up checks of what the portal needs from the machine (`manage.py check` runs them)."""

from django.core import checks


@checks.register()
def pdf_font_subsetting_check(**kwargs: object) -> list[checks.CheckMessage]:
    """WeasyPrint subsets the embedded fonts with HarfBuzz when its subsetting library (4.1 or
    later) loads; without it, it falls back to fontTools and every PDF renders about 9 x slower."""
    from weasyprint.text import ffi

    if ffi.harfbuzz_subset is not None and ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return []
    return [
        checks.Warning(
            "HarfBuzz font subsetting is not available: PDFs (invoices, forms, letters) render "
            "about 9 times slower.",
            hint="Install the Debian package libharfbuzz-subset0 (`make install` does it as root "
            "or with sudo).",
            id="portal.W001",
        )
    ]
