"""The customer's privacy pages, included in the portal's namespace by portal/urls.py."""

from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.privacy_page, name="privacy"),
    path("privacy/consents/", views.privacy_consent, name="privacy_consent"),
    path("privacy/copies/", views.privacy_access_request, name="privacy_access_request"),
    path("privacy/copies/<int:pk>/json/", views.privacy_access_json, name="privacy_access_json"),
    path("privacy/copies/<int:pk>/pdf/", views.privacy_access_pdf, name="privacy_access_pdf"),
    path("privacy/corrections/", views.privacy_rectification, name="privacy_rectification"),
    path("privacy/pin/", views.privacy_pin, name="privacy_pin"),
]
