"""The template filters that keep codes, names and addresses in order in PDF documents."""

from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template("{% load bidi %}" + source).render(Context(context))


def test_ltr_isolates_a_code_left_to_right_and_escapes_it():
    assert render("{{ code|ltr }}", code="C-PDF-<1>") == "\u2066C-PDF-&lt;1&gt;\u2069"


def test_isolate_follows_the_first_letter_and_leaves_empty_values_alone():
    assert render("{{ name|isolate }}", name="S.A.") == "\u2068S.A.\u2069"
    assert render("[{{ name|isolate }}]", name="") == "[]"
