"""The customer's electronic invoices, included in the portal's namespace by portal/urls.py."""

from django.urls import path

from einvoicing import views

urlpatterns = [
    path("invoices/<int:pk>/teif.xml", views.einvoice_xml, name="einvoice_xml"),
    path("invoices/<int:pk>/ttn.pdf", views.einvoice_pdf, name="einvoice_pdf"),
]
