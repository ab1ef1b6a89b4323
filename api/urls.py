from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularYAMLAPIView

from api import views
from api.tmf import BILLS_BASE, PRIVACY_BASE

BILLS = BILLS_BASE.lstrip("/")
PRIVACY = PRIVACY_BASE.lstrip("/")

urlpatterns = [
    path(f"{BILLS}/customerBill", views.CustomerBillList.as_view(), name="customer_bills"),
    path(
        f"{BILLS}/customerBill/<str:id>", views.CustomerBillDetail.as_view(), name="customer_bill"
    ),
    path(
        f"{BILLS}/customerBill/<str:id>/document",
        views.CustomerBillDocument.as_view(),
        name="customer_bill_document",
    ),
    path(
        f"{BILLS}/customerBill/<str:id>/document.xml",
        views.CustomerBillXml.as_view(),
        name="customer_bill_xml",
    ),
    path(f"{BILLS}/appliedCustomerBillingRate", views.RateList.as_view(), name="rates"),
    path(f"{BILLS}/appliedCustomerBillingRate/<str:id>", views.RateDetail.as_view(), name="rate"),
    path(f"{BILLS}/billCycle", views.CycleList.as_view(), name="bill_cycles"),
    path(f"{BILLS}/billCycle/<str:id>", views.CycleDetail.as_view(), name="bill_cycle"),
    path(f"{BILLS}/hub", views.BillHub.as_view(), name="bill_hub"),
    path(f"{BILLS}/hub/<str:id>", views.BillHubDetail.as_view(), name="bill_hub_detail"),
    path(
        f"{PRIVACY}/partyPrivacyProfileSpecification",
        views.SpecificationList.as_view(),
        name="privacy_specifications",
    ),
    path(
        f"{PRIVACY}/partyPrivacyProfileSpecification/<str:id>",
        views.SpecificationDetail.as_view(),
        name="privacy_specification",
    ),
    path(f"{PRIVACY}/partyPrivacyProfile", views.ProfileList.as_view(), name="privacy_profiles"),
    path(
        f"{PRIVACY}/partyPrivacyProfile/<str:id>",
        views.ProfileDetail.as_view(),
        name="privacy_profile",
    ),
    path(
        f"{PRIVACY}/partyPrivacyAgreement", views.AgreementList.as_view(), name="privacy_agreements"
    ),
    path(
        f"{PRIVACY}/partyPrivacyAgreement/<str:id>",
        views.AgreementDetail.as_view(),
        name="privacy_agreement",
    ),
    path(f"{PRIVACY}/hub", views.PrivacyHub.as_view(), name="privacy_hub"),
    path(f"{PRIVACY}/hub/<str:id>", views.PrivacyHubDetail.as_view(), name="privacy_hub_detail"),
    path(
        "tmf-api/openapi.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="openapi",
    ),
    path(
        "tmf-api/openapi.yaml",
        SpectacularYAMLAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="openapi_yaml",
    ),
    path("tmf-api/docs", views.DocsPage.as_view(), name="docs"),
]
