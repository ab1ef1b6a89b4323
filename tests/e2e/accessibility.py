"""Issue 14, points 5 and 6: what every page a browser test visits must pass.

axe-core (vendored under static/vendor/axe-core-<version>/, for the tests only) runs in the
page through the DevTools protocol (`page.evaluate`), which the portal's CSP does not govern, so
the page is checked exactly as it is served. A page passes with no serious or critical
violation and no sideways scroll (its document no wider than the window).
"""

from functools import cache
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
AXE = Path(settings.BASE_DIR) / "static" / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
BLOCKING = {"serious", "critical"}
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_start(page: Page) -> None:
    """Start axe-core on the page as it is now, without waiting: two pages (a desktop and a
    phone) are checked at once, each in its own renderer."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    page.evaluate(
        "() => { window.axeResults = window.axe.run(document, {resultTypes: ['violations']}); }"
    )


# What the page's Content-Security-Policy says of styles that axe-core itself applies while it
# checks some pages (the Django admin's change pages): not the page's.
_AXE_OWN_STYLES = "Applying inline style violates the following Content Security Policy"


def axe_violations(page: Page, browser_errors: list[str] | None = None) -> list[str]:
    """The serious and critical violations axe-core finds on the page (started by `axe_start`,
    or now), one line each: the rule, its impact and the elements at fault. Given the page's
    `browser_errors`, the refusals of axe-core's own inline styles during its run are taken
    out of them."""
    before = len(browser_errors) if browser_errors is not None else 0
    if not page.evaluate("() => window.axeResults instanceof Promise"):
        axe_start(page)
    violations = page.evaluate(
        "async () => { const results = await window.axeResults; delete window.axeResults;"
        " return results.violations; }"
    )
    if browser_errors is not None:
        during = browser_errors[before:]
        browser_errors[before:] = [error for error in during if _AXE_OWN_STYLES not in error]
    return [
        f"{page.url} {violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in violations
        if violation["impact"] in BLOCKING
    ]


# The outermost elements that stick out of the window, to name them when the page is too wide.
STICKING_OUT = """() => {
  const out = element => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && (box.right > window.innerWidth + 1 || box.left < -1);
  };
  const name = element => element.tagName.toLowerCase()
    + (element.id ? "#" + element.id : "")
    + (element.classList.length ? "." + [...element.classList].join(".") : "");
  return [...document.body.querySelectorAll("*")]
    .filter(element => out(element) && !out(element.parentElement))
    .slice(0, 5).map(name);
}"""


def sideways_scroll(page: Page) -> str:
    """Empty when the page fits the window's width; else the page, its widths and the
    elements that stick out."""
    width, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width <= window:
        return ""
    culprits = ", ".join(page.evaluate(STICKING_OUT))
    return f"{page.url} is {width}px wide in a {window}px window: {culprits}"


def expect_accessible(page: Page) -> None:
    """Point 6: no serious or critical axe-core violation on the page as it is now."""
    violations = axe_violations(page)
    assert violations == [], "\n".join(violations)
