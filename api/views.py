"""The TMF678 and TMF644 resources: thin views over `api.bills`, `api.privacy_tmf` and
`api.hubs`; access by API key only (REST_FRAMEWORK settings)."""

import re
from datetime import date

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schemas
from api.bill_list import bills_answer, bills_asked, served_before_drf
from api.bills import (
    BILL_VALUES,
    STATES,
    bill_tmf,
    bills_of,
    bills_visible,
    cycle_tmf,
    rate_tmf,
    rates_visible,
)
from api.http import fields_param, page_bounds, tmf_error
from api.hubs import hub_create, hub_delete
from api.models import Hub, Scope
from api.privacy_tmf import (
    SPECIFICATION_ID,
    ChoiceRefused,
    agreement_tmf,
    choices_parse,
    choices_record,
    consents_by_customer,
    customers_visible,
    profile_tmf,
    specification_tmf,
)
from api.tmf import fields_selected
from billing.documents import invoice_pdf_render
from billing.models import BillingRun
from einvoicing.models import Submission
from lib.downloads import private_download

ERRORS = {code: schemas.ERROR for code in (400, 401, 403, 404, 429)}
PAGE = [
    OpenApiParameter("fields", str, description="Comma-separated attributes to return"),
    OpenApiParameter(
        "offset", {"type": "integer", "minimum": 0}, description="Index of the first item (0)"
    ),
    OpenApiParameter(
        "limit", {"type": "integer", "minimum": 0}, description="Items per page (100, 1000 at most)"
    ),
]


class MergePatchParser(JSONParser):
    media_type = "application/merge-patch+json"


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _pk(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise exceptions.NotFound()
    return int(value)


def _page(request, rows, represent) -> Response:
    """One page of `rows` (a queryset), each made TMF by `represent`, with its total."""
    offset, limit = page_bounds(request.query_params)
    fields = fields_param(request.query_params)
    total = rows.count()
    items = [fields_selected(represent(row), fields) for row in rows[offset : offset + limit]]
    return _paged(items, total)


def _paged(items: list[dict], total: int) -> Response:
    response = Response(items)
    response["X-Total-Count"] = str(total)
    response["X-Result-Count"] = str(len(items))
    return response


def _boutique(request) -> int | None:
    return request.auth.boutique_id


class BillsView(APIView):
    read_scope = Scope.BILLS_READ
    write_scope = Scope.BILLS_READ  # nothing is written to bills through the API


class CustomerBillList(BillsView):
    """Answered before DRF when it can be (api.bill_list), here otherwise."""

    @classmethod
    def as_view(cls, **initkwargs):
        return served_before_drf(super().as_view(**initkwargs))

    @extend_schema(
        operation_id="listCustomerBill",
        tags=["customerBill"],
        parameters=[
            OpenApiParameter("billingAccount.id", str, description="Account (contract) reference"),
            OpenApiParameter("state", str, enum=STATES),
            OpenApiParameter("billDate", OpenApiTypes.DATE, description="Bill date"),
            OpenApiParameter("billDate.gte", OpenApiTypes.DATE, description="Bills from this date"),
            OpenApiParameter(
                "billDate.lte", OpenApiTypes.DATE, description="Bills up to this date"
            ),
            *PAGE,
        ],
        responses={200: {"type": "array", "items": schemas.BILL}, **ERRORS},
    )
    def get(self, request):
        filters = bills_asked(request.query_params, _boutique(request))
        page_bounds(request.query_params)  # 400 for a wrong offset or limit, as the others
        return bills_answer(request._request, filters)


class CustomerBillDetail(BillsView):
    @extend_schema(
        operation_id="retrieveCustomerBill",
        tags=["customerBill"],
        parameters=[PAGE[0]],
        responses={200: schemas.BILL, **ERRORS},
    )
    def get(self, request, id: str):
        row = get_object_or_404(bills_visible(_boutique(request)).values(*BILL_VALUES), pk=_pk(id))
        return Response(
            fields_selected(bill_tmf(row, _base(request)), fields_param(request.query_params))
        )


class CustomerBillDocument(BillsView):
    """The bill's PDF (`billDocument`), rendered and stored once."""

    @extend_schema(
        operation_id="retrieveCustomerBillDocument",
        tags=["customerBill"],
        responses={(200, "application/pdf"): {"type": "string", "format": "binary"}, **ERRORS},
    )
    def get(self, request, id: str):
        invoice = get_object_or_404(bills_of(_boutique(request)), pk=_pk(id))
        invoice = invoice_pdf_render(invoice)
        return private_download(
            invoice.pdf.open("rb"),
            filename=f"{invoice.number}.pdf",
            content_type="application/pdf",
            inline=True,
        )


class CustomerBillXml(BillsView):
    """The bill's electronic invoice: the signed TEIF XML as sent to TTN, once it exists."""

    @extend_schema(
        operation_id="retrieveCustomerBillTeif",
        tags=["customerBill"],
        responses={(200, "application/xml"): {"type": "string", "format": "binary"}, **ERRORS},
    )
    def get(self, request, id: str):
        invoice = get_object_or_404(bills_of(_boutique(request)), pk=_pk(id))
        submission = get_object_or_404(Submission.objects.exclude(xml=""), invoice=invoice)
        return private_download(
            submission.xml.open("rb"),
            filename=f"{invoice.number}.xml",
            content_type="application/xml",
            inline=True,
        )


class RateList(BillsView):
    @extend_schema(
        operation_id="listAppliedCustomerBillingRate",
        tags=["appliedCustomerBillingRate"],
        parameters=[OpenApiParameter("bill.id", str, description="The bill's id"), *PAGE],
        responses={200: {"type": "array", "items": schemas.RATE}, **ERRORS},
    )
    def get(self, request):
        rates = rates_visible(_boutique(request))
        if "bill.id" in request.query_params:
            bill = request.query_params["bill.id"]
            rates = rates.filter(invoice_id=int(bill)) if bill.isdigit() else rates.none()
        base = _base(request)
        return _page(request, rates, lambda row: rate_tmf(row, base))


class RateDetail(BillsView):
    @extend_schema(
        operation_id="retrieveAppliedCustomerBillingRate",
        tags=["appliedCustomerBillingRate"],
        parameters=[PAGE[0]],
        responses={200: schemas.RATE, **ERRORS},
    )
    def get(self, request, id: str):
        row = get_object_or_404(rates_visible(_boutique(request)), pk=_pk(id))
        return Response(
            fields_selected(rate_tmf(row, _base(request)), fields_param(request.query_params))
        )


class CycleList(BillsView):
    @extend_schema(
        operation_id="listBillCycle",
        tags=["billCycle"],
        parameters=PAGE,
        responses={200: {"type": "array", "items": schemas.CYCLE}, **ERRORS},
    )
    def get(self, request):
        base = _base(request)
        return _page(
            request, BillingRun.objects.order_by("-period_start"), lambda run: cycle_tmf(run, base)
        )


class CycleDetail(BillsView):
    @extend_schema(
        operation_id="retrieveBillCycle",
        tags=["billCycle"],
        parameters=[PAGE[0]],
        responses={200: schemas.CYCLE, **ERRORS},
    )
    def get(self, request, id: str):
        try:
            start = date.fromisoformat(f"{id}-01")
        except ValueError as error:
            raise exceptions.NotFound() from error
        run = get_object_or_404(BillingRun, period_start=start)
        return Response(
            fields_selected(cycle_tmf(run, _base(request)), fields_param(request.query_params))
        )


class PrivacyView(APIView):
    read_scope = Scope.PRIVACY_READ
    write_scope = Scope.PRIVACY_WRITE
    parser_classes = [JSONParser, MergePatchParser]


class SpecificationList(PrivacyView):
    @extend_schema(
        operation_id="listPartyPrivacyProfileSpecification",
        tags=["partyPrivacyProfileSpecification"],
        parameters=PAGE,
        responses={200: {"type": "array", "items": schemas.SPECIFICATION}, **ERRORS},
    )
    def get(self, request):
        offset, limit = page_bounds(request.query_params)
        items = [specification_tmf(_base(request))][offset : offset + limit]
        fields = fields_param(request.query_params)
        response = Response([fields_selected(item, fields) for item in items])
        response["X-Total-Count"] = "1"
        response["X-Result-Count"] = str(len(items))
        return response


class SpecificationDetail(PrivacyView):
    @extend_schema(
        operation_id="retrievePartyPrivacyProfileSpecification",
        tags=["partyPrivacyProfileSpecification"],
        parameters=[PAGE[0]],
        responses={200: schemas.SPECIFICATION, **ERRORS},
    )
    def get(self, request, id: str):
        if id != SPECIFICATION_ID:
            raise exceptions.NotFound()
        return Response(
            fields_selected(specification_tmf(_base(request)), fields_param(request.query_params))
        )


def _profiles_page(request, represent) -> Response:
    """A page of customers, their consents read in one query."""
    offset, limit = page_bounds(request.query_params)
    fields = fields_param(request.query_params)
    customers = customers_visible(_boutique(request))
    total = customers.count()
    page = list(customers[offset : offset + limit])
    histories = consents_by_customer([customer.pk for customer in page])
    base = _base(request)
    items = [fields_selected(represent(c, histories.get(c.pk, []), base), fields) for c in page]
    response = Response(items)
    response["X-Total-Count"] = str(total)
    response["X-Result-Count"] = str(len(items))
    return response


def _customer(request, id: str):
    return get_object_or_404(customers_visible(_boutique(request)), pk=_pk(id))


def _profile_answer(request, customer, code: int = 200) -> Response:
    history = consents_by_customer([customer.pk]).get(customer.pk, [])
    return Response(profile_tmf(customer, history, _base(request)), status=code)


class ProfileList(PrivacyView):
    @extend_schema(
        operation_id="listPartyPrivacyProfile",
        tags=["partyPrivacyProfile"],
        parameters=PAGE,
        responses={200: {"type": "array", "items": schemas.PROFILE}, **ERRORS},
    )
    def get(self, request):
        return _profiles_page(request, profile_tmf)

    @extend_schema(
        operation_id="createPartyPrivacyProfile",
        tags=["partyPrivacyProfile"],
        request={"application/json": schemas.PROFILE_IN},
        responses={201: schemas.PROFILE, **ERRORS},
    )
    def post(self, request):
        """Records the customer's choices (channel API): a customer has one profile, so a
        second create adds the choices that differ and answers with it."""
        body = request.data if isinstance(request.data, dict) else {}
        party = body.get("applicableForParty")
        party_id = (party or {}).get("partyOrPartyRole", {}) if isinstance(party, dict) else {}
        customer_id = party_id.get("id") if isinstance(party_id, dict) else None
        if not isinstance(customer_id, str):
            return tmf_error(400, "applicableForParty.partyOrPartyRole.id: the customer's id.")
        customer = _customer(request, customer_id)
        return _choices_write(request, customer, body, status.HTTP_201_CREATED)


def _choices_write(request, customer, body, code: int) -> Response:
    try:
        choices = choices_parse(body)
    except ChoiceRefused as refused:
        return tmf_error(400, str(refused))
    choices_record(
        key=request.auth,
        customer=customer,
        choices=choices,
        method=request.method,
        path=request.path,
    )
    return _profile_answer(request, customer, code)


class ProfileDetail(PrivacyView):
    @extend_schema(
        operation_id="retrievePartyPrivacyProfile",
        tags=["partyPrivacyProfile"],
        parameters=[PAGE[0]],
        responses={200: schemas.PROFILE, **ERRORS},
    )
    def get(self, request, id: str):
        customer = _customer(request, id)
        history = consents_by_customer([customer.pk]).get(customer.pk, [])
        return Response(
            fields_selected(
                profile_tmf(customer, history, _base(request)), fields_param(request.query_params)
            )
        )

    @extend_schema(
        operation_id="patchPartyPrivacyProfile",
        tags=["partyPrivacyProfile"],
        request={
            "application/json": schemas.CHOICES_IN,
            "application/merge-patch+json": schemas.CHOICES_IN,
        },
        responses={200: schemas.PROFILE, **ERRORS},
    )
    def patch(self, request, id: str):
        customer = _customer(request, id)
        body = request.data if isinstance(request.data, dict) else {}
        return _choices_write(request, customer, body, status.HTTP_200_OK)


class AgreementList(PrivacyView):
    @extend_schema(
        operation_id="listPartyPrivacyAgreement",
        tags=["partyPrivacyAgreement"],
        parameters=PAGE,
        responses={200: {"type": "array", "items": schemas.AGREEMENT}, **ERRORS},
    )
    def get(self, request):
        return _profiles_page(request, agreement_tmf)


class AgreementDetail(PrivacyView):
    @extend_schema(
        operation_id="retrievePartyPrivacyAgreement",
        tags=["partyPrivacyAgreement"],
        parameters=[PAGE[0]],
        responses={200: schemas.AGREEMENT, **ERRORS},
    )
    def get(self, request, id: str):
        customer = _customer(request, id)
        history = consents_by_customer([customer.pk]).get(customer.pk, [])
        return Response(
            fields_selected(
                agreement_tmf(customer, history, _base(request)), fields_param(request.query_params)
            )
        )


class HubView(APIView):
    """TMF's event subscription, per API: `POST /hub`, `DELETE /hub/{id}`."""

    read_scope = Scope.EVENTS_WRITE
    write_scope = Scope.EVENTS_WRITE
    api = Hub.Api.BILLS

    def _callback(self, body) -> tuple[str, str]:
        callback = body.get("callback") if isinstance(body, dict) else None
        query = body.get("query", "") if isinstance(body, dict) else ""
        if not isinstance(callback, str) or not isinstance(query, str) or len(query) > 255:
            raise exceptions.ValidationError("callback: the URL to post the events to.")
        # Outside DEBUG events carry customers' data: they go over HTTPS only.
        pattern = schemas.CALLBACK_DEBUG if settings.DEBUG else schemas.CALLBACK
        if not re.fullmatch(pattern, callback) or len(callback) > 500:
            raise exceptions.ValidationError("callback: an https:// URL (500 characters at most).")
        return callback, query

    def post(self, request):
        callback, query = self._callback(request.data)
        hub = hub_create(
            key=request.auth, api=self.api, callback=callback, query=query, path=request.path
        )
        return Response(
            {
                "id": str(hub.pk),
                "href": request.build_absolute_uri(f"{request.path.rstrip('/')}/{hub.pk}"),
                "@type": "Hub",
                "callback": hub.callback,
                "query": hub.query,
                "secret": hub.secret,
            },
            status=status.HTTP_201_CREATED,
        )


class HubDetailView(APIView):
    read_scope = Scope.EVENTS_WRITE
    write_scope = Scope.EVENTS_WRITE
    api = Hub.Api.BILLS

    def delete(self, request, id: str):
        hub = get_object_or_404(
            Hub.objects.filter(key=request.auth, api=self.api, deleted_at__isnull=True), pk=_pk(id)
        )
        hub_delete(hub=hub, key=request.auth, path=request.path)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _hub_schema(tag: str):
    return (
        extend_schema(
            operation_id=f"createHub_{tag}",
            tags=[f"events subscription ({tag})"],
            request={"application/json": schemas.HUB_IN},
            responses={201: schemas.HUB, **ERRORS},
        ),
        extend_schema(
            operation_id=f"hubDelete_{tag}",
            tags=[f"events subscription ({tag})"],
            responses={204: None, **ERRORS},
        ),
    )


BILL_HUB_CREATE, BILL_HUB_DELETE = _hub_schema("customerBill")
PRIVACY_HUB_CREATE, PRIVACY_HUB_DELETE = _hub_schema("privacy")


class BillHub(HubView):
    api = Hub.Api.BILLS

    @BILL_HUB_CREATE
    def post(self, request):
        return super().post(request)


class BillHubDetail(HubDetailView):
    api = Hub.Api.BILLS

    @BILL_HUB_DELETE
    def delete(self, request, id: str):
        return super().delete(request, id)


class PrivacyHub(HubView):
    api = Hub.Api.PRIVACY

    @PRIVACY_HUB_CREATE
    def post(self, request):
        return super().post(request)


class PrivacyHubDetail(HubDetailView):
    api = Hub.Api.PRIVACY

    @PRIVACY_HUB_DELETE
    def delete(self, request, id: str):
        return super().delete(request, id)


class DocsPage(TemplateView):
    """The API's reference page (Swagger UI from our own static files) over its document."""

    template_name = "api/docs.html"
