"""The committed catalogues (locale/<lang>/LC_MESSAGES/django.po and .mo) and the pages they
translate: French by default, Arabic right-to-left, English as the source language.

Refresh the catalogues with `make messages` (makemessages, then compilemessages).
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from lib.money import format_tnd

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
TRANSLATED = ["fr", "ar"]  # English is the source language: its msgstr stay empty
NPLURALS = {"fr": 2, "ar": 6, "en": 2}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header first (obsolete `#~` entries are left out)."""
    entries: list[Entry] = []
    entry, target = None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if entry is not None and entry.msgstr:
                entries.append(entry)
                entry = None
            if line.startswith("#,"):
                entry = entry or Entry(line=number)
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
                entries.append(entry)
                entry = None
            entry = entry or Entry(line=number)
            if keyword.startswith("msgstr"):
                target = int(index or 0)
                entry.msgstr[target] = _unquote(text)
            else:
                target = keyword
                setattr(entry, keyword, _unquote(text))
        else:  # a continuation line of the string above
            assert entry is not None, f"{path}:{number}: a string outside any entry"
            if isinstance(target, int):
                entry.msgstr[target] += _unquote(line)
            else:
                setattr(entry, target, getattr(entry, target) + _unquote(line))
    if entry is not None and entry.msgstr:
        entries.append(entry)
    assert entries and entries[0].msgid == "", f"{path}: no header entry"
    return entries


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def header(entries: list[Entry]) -> dict[str, str]:
    fields = (line.partition(":") for line in entries[0].msgstr[0].splitlines() if line)
    return {name.strip(): value.strip() for name, _colon, value in fields}


def expected_catalogue(entries: list[Entry]) -> dict:
    """What msgfmt puts in the .mo: the translated, non-fuzzy entries, keyed like `gettext`."""
    catalogue: dict = {}
    for entry in entries:
        if entry.msgid and ("fuzzy" in entry.flags or not all(entry.msgstr.values())):
            continue
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if entry.msgid_plural is None:
            catalogue[msgid] = entry.msgstr[0]
        else:
            catalogue.update({(msgid, n): text for n, text in entry.msgstr.items()})
    return catalogue


def mo_catalogue(path: Path) -> dict:
    with path.open("rb") as mo:
        return dict(gettext.GNUTranslations(mo)._catalog)


def without_creation_date(catalogue: dict) -> dict:
    """Recent msgfmt versions leave the header's POT-Creation-Date out of the .mo."""
    lines = catalogue[""].splitlines(keepends=True)
    return catalogue | {"": "".join(x for x in lines if not x.startswith("POT-Creation-Date:"))}


PYTHON_FORMAT = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_FORMAT = re.compile(r"\{\{\s*[\w.]+\s*\}\}|(?<!\{)\{\w*(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str) -> Counter:
    return Counter(PYTHON_FORMAT.findall(text)) + Counter(BRACE_FORMAT.findall(text))


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_catalogue_header_is_complete_and_not_fuzzy(language):
    entries = read_po(po_path(language))
    assert "fuzzy" not in entries[0].flags
    fields = header(entries)
    assert fields["Language"] == language
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"].startswith(f"nplurals={NPLURALS[language]};")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_and_not_fuzzy(language):
    entries = read_po(po_path(language))[1:]
    assert entries, "empty catalogue: run `make messages`"
    fuzzy = [str(entry) for entry in entries if "fuzzy" in entry.flags]
    untranslated = [str(entry) for entry in entries if not all(entry.msgstr.values())]
    assert fuzzy == []
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_entries_fill_every_plural_form(language):
    plurals = [entry for entry in read_po(po_path(language)) if entry.msgid_plural is not None]
    assert plurals
    for entry in plurals:
        assert sorted(entry.msgstr) == list(range(NPLURALS[language])), entry


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_source(language):
    wrong = []
    for entry in read_po(po_path(language))[1:]:
        source = placeholders(entry.msgid_plural or entry.msgid)
        wrong += [
            f"{entry} msgstr[{n}] {text!r}"
            for n, text in entry.msgstr.items()
            if placeholders(text) != source
        ]
    assert wrong == []


def test_placeholder_check_sees_python_and_brace_formats():
    assert placeholders("%(amount)s TND, %s and 19 %% of {name} {{ var }}") == Counter(
        {"%(amount)s": 1, "%s": 1, "%%": 1, "{name}": 1, "{{ var }}": 1}
    )
    assert placeholders("0.1900 for 19 %.") == Counter()


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_compiled_catalogue_matches_its_po_file(language):
    """The committed .mo holds exactly the .po's translations: no `make messages` forgotten."""
    po = po_path(language)
    assert without_creation_date(mo_catalogue(po.with_suffix(".mo"))) == without_creation_date(
        expected_catalogue(read_po(po))
    )


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_compiled_catalogue_matches_what_msgfmt_makes_of_the_po_file(language, tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt is missing: `make system-packages` installs gettext")
    po = po_path(language)
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", fresh, po], check=True)  # noqa: S603
    assert mo_catalogue(po.with_suffix(".mo")) == mo_catalogue(fresh)


def messages_ignore_options() -> list[str]:
    """The `--ignore` options of makemessages in the Makefile's `messages` target."""
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^messages:.*?(?:\n\n|\Z)", makefile, re.DOTALL | re.MULTILINE)
    assert recipe, "no `messages` target in the Makefile"
    command = recipe.group(0).split("compilemessages")[0]
    patterns = re.findall(r"--ignore\s+'([^']+)'", command)
    assert patterns, "the Makefile's makemessages has no --ignore option"
    return [option for pattern in patterns for option in ("--ignore", pattern)]


def catalogue_keys(entries: list[Entry]) -> set[tuple]:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in entries if e.msgid}


def copy_ignoring(top_level: set[str], anywhere: set[str]):
    """An `ignore` for shutil.copytree: these names at the root of the copy, those at any depth."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        at_root = Path(directory) == Path(settings.BASE_DIR)
        return {n for n in names if n in anywhere or (at_root and n in top_level)}

    return ignore


def test_catalogues_hold_every_translatable_string_of_the_code(tmp_path):
    """`make messages` was run after the last change of a translatable string: makemessages, run
    as the Makefile runs it in a throw-away copy of the project, finds exactly the committed
    msgids (none missing, none left over) in each catalogue.
    """
    tools = ["xgettext", "msguniq", "msgmerge", "msgattrib"]
    if missing_tools := [tool for tool in tools if shutil.which(tool) is None]:
        pytest.skip(f"{', '.join(missing_tools)} missing: `make system-packages` installs gettext")
    copy = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        symlinks=True,
        # Heavy and without sources (makemessages skips them anyway), or caches.
        ignore=copy_ignoring(
            top_level={".git", ".venv", "staticfiles", "build", "var", "node_modules"},
            anywhere={"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"},
        ),
    )
    command = [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"]
    done = subprocess.run(  # noqa: S603
        [*command, *messages_ignore_options()],
        cwd=copy,
        env=os.environ | {"DEBUG": "true", "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    in_code = catalogue_keys(read_po(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    assert in_code, "makemessages found no string at all"
    for language in ["fr", "ar", "en"]:
        committed = catalogue_keys(read_po(po_path(language)))
        missing = sorted(key[1] for key in in_code - committed)
        left_over = sorted(key[1] for key in committed - in_code)
        assert (language, missing, left_over) == (language, [], []), "run `make messages`"


@pytest.mark.django_db
def test_home_page_in_arabic_is_right_to_left_with_arabic_text(client, grid):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="ar" dir="rtl">' in html
    assert "/bootstrap.rtl.min." in html
    with translation.override("ar"):
        our_offers = translation.gettext("Our offers")
        dinars = translation.gettext("%(amount)s TND") % {"amount": ""}
    assert our_offers == "عروضنا"
    assert our_offers in html
    assert "Our offers" not in html
    assert dinars.strip() == "د.ت"
    assert "20,000 د.ت" in html
    assert "باقة الحرية 20" in html  # the offer's Arabic name from the tariff grid


@pytest.mark.django_db
def test_home_page_is_in_french_by_default(client, grid):
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="fr" dir="ltr">' in html
    assert "Nos offres" in html
    assert "Our offers" not in html
    assert "20,000 TND" in html
    assert "Forfait Liberté 20" in html


def test_tnd_filter_in_french_groups_thousands_with_a_non_breaking_space():
    with translation.override("fr"):
        assert format_tnd(Decimal("1234.5")) == "1\xa0234,500 TND"
        rendered = Template("{% load money %}{{ amount|tnd }}").render(
            Context({"amount": Decimal("1234.5")})
        )
    assert rendered == "1\xa0234,500 TND"


def test_tnd_filter_in_arabic_uses_the_dinar_abbreviation():
    with translation.override("ar"):
        # Django's Arabic number format has no thousands grouping (NUMBER_GROUPING = 0).
        assert format_tnd(Decimal("1234.5")) == "1234,500 د.ت"


def test_tnd_filter_leaves_a_missing_amount_empty():
    with translation.override("fr"):
        assert format_tnd(None) == ""
