"""The template filters that keep codes, names and addresses in order in PDF documents."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from time_machine import travel


def render(source: str, **context) -> str:
    return Template("{% load bidi %}" + source).render(Context(context))


def test_ltr_isolates_a_code_left_to_right_and_escapes_it():
    assert render("{{ code|ltr }}", code="C-PDF-<1>") == "\u2066C-PDF-&lt;1&gt;\u2069"


def test_isolate_follows_the_first_letter_and_leaves_empty_values_alone():
    assert render("{{ name|isolate }}", name="S.A.") == "\u2068S.A.\u2069"
    assert render("[{{ name|isolate }}]", name="") == "[]"


@travel(datetime(2026, 11, 1, 8, 0, tzinfo=ZoneInfo("Africa/Tunis")), tick=False)
def test_numbers_ltr_keeps_the_plus_of_a_phone_number_in_front_and_escapes_the_rest():
    assert (
        render("{{ label|numbers_ltr|isolate }}", label="عرض <20> — +21620100001 (01/10)")
        == "\u2068عرض &lt;20&gt; — \u2066+21620100001\u2069 (01/10)\u2069"
    )
