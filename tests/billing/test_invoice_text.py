"""The invoice's text parts (billing/invoice_text.py): totals whose amounts form a column; the
detail of usage grouped by line and kind, set as text whose columns line up, three records a
line, in both directions; 40 records and the rest of the invoice on one page (the page `make
bench` times as pdf_invoice_ms)."""

import re
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.utils import timezone, translation
from pypdf import PdfReader

from billing.documents import invoice_pdf_document, invoice_pdf_render
from billing.invoice_text import (
    FIELD_GAP,
    FIGURE_SPACE,
    RECORD_GAP,
    ROWS_PER_BLOCK,
    UsageRow,
    amounts_aligned,
    usage_groups,
)
from tests.billing.helpers import account, issue, usage_import, words
from tests.frozen_rows import rewriting_history


def test_amounts_are_padded_to_the_widest_digit_for_digit():
    texts = ["28,400 TND", "5,396 TND", "1\xa0234,567 TND"]
    assert amounts_aligned(texts) == [
        f"{FIGURE_SPACE}\xa0{FIGURE_SPACE}28,400 TND",
        f"{FIGURE_SPACE}\xa0{FIGURE_SPACE * 2}5,396 TND",
        "1\xa0234,567 TND",
    ]


def record(kind="voice", day=1, quantity="1", destination="+21671000001", msisdn="+21620000001"):
    return UsageRow(
        msisdn=msisdn,
        kind=kind,
        started_at=timezone.make_aware(datetime(2026, 10, day, 8, 30)),
        destination=destination,
        quantity=Decimal(quantity),
        unit_price=Decimal("0.120"),
    )


def french_groups(records, rtl=False):
    with translation.override("fr"):
        return usage_groups(records, rtl=rtl)


def test_records_are_grouped_by_number_then_kind():
    records = [
        record("voice", 1),
        record("sms", 2, destination="+21698000000"),
        record("voice", 3),
        record("data", 4, quantity="250.5", destination=""),
        record("voice", 5, msisdn="+21620000002"),
    ]
    groups = french_groups(records)
    assert [(g.msisdn, g.kind) for g in groups] == [
        ("+21620000001", "Appels nationaux"),
        ("+21620000001", "SMS"),
        ("+21620000001", "Internet"),
        ("+21620000002", "Appels nationaux"),
    ]
    assert groups[2].blocks == [f"04/10 08:30{FIELD_GAP}250,5{FIELD_GAP}0,120"]


FSI, PDI = "\u2068", "\u2069"


def test_fields_have_one_width_so_that_the_columns_line_up():
    """Quantities are right-aligned and destinations left-aligned with figure spaces (the width
    of a digit), decimals as many as the group's most precise quantity."""
    records = [record(day=1, quantity="3"), record(day=2, quantity="12.5", destination="1200")]
    [group] = french_groups(records)
    gap = FIELD_GAP
    assert group.blocks == [
        f"01/10 08:30{gap}+21671000001{gap}{FIGURE_SPACE}3,0{gap}0,120"
        f"{RECORD_GAP}02/10 08:30{gap}1200{FIGURE_SPACE * 8}{gap}12,5{gap}0,120"
    ]  # phone numbers: nothing to isolate (PHONE_NUMBER)


def test_a_destination_other_than_a_number_is_isolated():
    """A destination comes from the mediation's file (issue 16, point 6): one with letters, or
    bidi controls, is isolated, its controls removed, so that it cannot reorder the line."""
    records = [
        record(day=1, destination="\u202eتونس"),
        record(day=2, destination="+21671000001"),
    ]
    [group] = french_groups(records)
    first, second = group.blocks[0].split(RECORD_GAP)
    assert f"{FIELD_GAP}{FSI}تونس{FIGURE_SPACE * 8}{PDI}{FIELD_GAP}" in first
    assert "\u202e" not in group.blocks[0]
    assert FSI not in second


def test_three_records_a_line_the_first_third_in_the_first_column():
    records = [record(day=day) for day in range(1, 8)]  # 7 records: 3 lines
    [group] = french_groups(records)
    lines = group.blocks[0].split("\n")
    assert [re.findall(r"\d\d/10", line) for line in lines] == [
        ["01/10", "04/10", "07/10"],
        ["02/10", "05/10"],
        ["03/10", "06/10"],
    ]


def test_long_details_are_split_into_blocks_of_a_few_lines():
    records = [record(day=1 + k % 28) for k in range(3 * ROWS_PER_BLOCK + 1)]
    [group] = french_groups(records)
    assert [block.count("\n") + 1 for block in group.blocks] == [ROWS_PER_BLOCK, 1]


def test_international_calls_one_a_line_with_the_zone_last():
    records = [record("international", 3, quantity="3", destination="europe")]
    [group] = french_groups(records)
    assert group.blocks == [f"03/10 08:30{FIELD_GAP}3{FIELD_GAP}0,120{FIELD_GAP}{FSI}europe{PDI}"]


def test_right_to_left_the_date_comes_first_from_the_right():
    records = [record(day=day) for day in range(1, 5)]
    [group] = french_groups(records, rtl=True)
    first = group.blocks[0].split("\n")[0]
    assert first.endswith("01/10 08:30")  # rightmost: where an Arabic reader starts
    assert re.findall(r"\d\d/10", first) == ["03/10", "01/10"]  # 4 records: 2 lines of 2


def forty_calls(line) -> None:
    rows = "".join(
        f"{line.number.msisdn},2026-10-{1 + k % 28:02d}T{8 + k // 28:02d}:{k % 60:02d}:00,"
        f"voice,+2167100{k:04d},{1 + k % 12}\n"
        for k in range(40)
    )
    report = usage_import(
        name="forty.csv", content=("msisdn,started_at,kind,destination,quantity\n" + rows).encode()
    )
    assert report.records.count() == 40


def detailed_bill(invoice, tmp_path: Path) -> Path:
    """R9.5: the invoice's detailed bill (the usage detail is on it only), as a file."""
    path = tmp_path / f"{invoice.number}-detail.pdf"
    path.write_bytes(invoice_pdf_document(invoice, detailed=True))
    return path


def test_forty_calls_and_the_invoice_fit_on_one_page_with_their_columns_lined_up(grid, tmp_path):
    line = account()
    forty_calls(line)
    path = detailed_bill(issue(line), tmp_path)
    reader = PdfReader(BytesIO(path.read_bytes()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for k in range(40):
        assert f"+2167100{k:04d}" in text

    on_page = words(path)
    [detail_top] = [w.top for w in on_page if w.text == "consommations"]
    detail = [(w.text, w.x_min) for w in on_page if w.top > detail_top]
    dates = [x_min for word, x_min in detail if re.fullmatch(r"\d\d/10", word)]
    prices = [x_min for word, x_min in detail if word == "0,120"]
    assert len(dates) == len(prices) == 40
    # Three columns: every date and every price starts at one of three places, whatever the
    # width of the quantity before it (1 to 12 minutes).
    assert len({round(x, 1) for x in dates}) == 3
    assert len({round(x, 1) for x in prices}) == 3


def test_arabic_detail_starts_on_the_right(grid, tmp_path):
    line = account()
    customer = line.contract.customer
    customer.user.language = "ar"
    customer.user.save(update_fields=["language"])
    forty_calls(line)
    invoice = issue(line)
    assert invoice.language == "ar"
    path = detailed_bill(invoice, tmp_path)
    assert len(PdfReader(path).pages) == 1
    half = float(PdfReader(path).pages[0].mediabox.width) / 2
    first_call = [w.x_min for w in words(path) if w.text == "+21671000000"]
    assert first_call and first_call[0] > half


def test_the_amounts_of_the_lines_and_the_totals_form_one_column(grid):
    """The totals' amounts end where the lines' do, and, each padded to one width, they start at
    one place too, so the labels before them end at one place."""
    invoice = invoice_pdf_render(issue(account()))
    path = Path(invoice.pdf.path)
    on_page = words(path)
    [commitment_top] = [w.top for w in on_page if w.text == "Engagement"]
    width = float(PdfReader(path).pages[0].mediabox.width)
    currencies = [
        (w.top, w.x_max)
        for w in on_page
        if w.text == "TND" and w.top < commitment_top and w.x_max > width * 0.8
    ]
    # One line (the monthly fee) and four totals: excl. tax, VAT, stamp duty, incl. tax.
    assert invoice.lines.count() == 1 and len(currencies) == 5
    assert len({round(x_max, 1) for _, x_max in currencies}) == 1

    def label_end(line_top: float) -> float:
        on_line = sorted((w.x_min, w.x_max) for w in on_page if abs(w.top - line_top) < 1)
        *label, _amount, _currency = on_line
        return label[-1][1]

    # Excl. tax, VAT and stamp duty (the total incl. tax is bold: other widths).
    assert len({round(label_end(top), 1) for top, _ in currencies[1:4]}) == 1


def test_a_long_customer_address_stays_clear_of_the_lines(grid):
    """The customer's block is placed beside the title and the facts, not floated: six lines
    of it still end above the lines' table."""
    line = account()
    customer = line.contract.customer
    customer.last_name = "Société Tunisienne des Industries Électriques et Mécaniques du Sahel"
    customer.street = (
        "Zone industrielle de Ben Arous, lot 42, bâtiment B, rue de l'Énergie renouvelable, "
        "immeuble des Jasmins, troisième étage"
    )
    customer.save(update_fields=["last_name", "street"])
    invoice = invoice_pdf_render(issue(line))
    on_page = words(Path(invoice.pdf.path))
    [label] = [w for w in on_page if w.text == "Libellé"]  # the lines' table heading
    customer_block = [w for w in on_page if w.x_min > label.x_min + 250 and w.top < label.top]
    assert any(
        w.text == "renouvelable," or w.text.startswith("renouvelable") for w in customer_block
    )
    assert len({round(w.top) for w in customer_block}) >= 6, customer_block
    assert max(w.bottom for w in customer_block) < label.top


def test_arabic_invoice_keeps_french_names_and_addresses_in_their_order(grid, settings):
    """Isolated by the first letter's direction (|isolate): "S.A." keeps its stop at the end and
    "1 avenue ..." its number in front, instead of being moved by the Arabic paragraph."""
    settings.OPERATOR = {**settings.OPERATOR, "name": "Opérateur Mobile de Tunisie S.A."}
    line = account()
    customer = line.contract.customer
    customer.street = "1 avenue Habib Bourguiba"
    customer.save(update_fields=["street"])
    customer.user.language = "ar"
    customer.user.save(update_fields=["language"])
    invoice = invoice_pdf_render(issue(line))
    on_page = words(Path(invoice.pdf.path))
    texts = [w.text for w in on_page]
    assert "S.A." in texts and "S.A" not in texts and ".Opérateur" not in texts
    [avenue] = [w for w in on_page if w.text == "avenue"]
    number = [w for w in on_page if w.text == "1" and abs(w.top - avenue.top) < 1]
    assert number and number[0].x_max < avenue.x_min  # "1" before "avenue", left to right


def test_a_long_line_label_wraps_beside_its_amount(grid):
    """Each line is a paragraph whose amount is placed in a column kept free: a label of
    several lines wraps before it and the amount stays on the label's first line."""
    invoice = issue(account())
    line = invoice.lines.get()
    line.label = " ".join(["Forfait Liberté 20 avec option Internet illimité la nuit"] * 3)
    with rewriting_history():
        line.save(update_fields=["label"])
    on_page = words(Path(invoice_pdf_render(invoice).pdf.path))
    [heading] = [w for w in on_page if w.text == "Libellé"]
    [first] = [w for w in on_page if w.text == "Forfait" and w.top > heading.top][:1]
    [amount] = [w for w in on_page if w.text == "20,000" and abs(w.top - first.top) < 1]
    label = [w for w in on_page if w.text in line.label.split() and w.top > heading.top]
    assert len({round(w.top) for w in label}) >= 2  # it wraps
    assert max(w.x_max for w in label) < amount.x_min
