from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from billing import views as billing_views
from einvoicing.urls import urlpatterns as einvoice_patterns
from passes import views as passes_views
from portal import views
from portal.forms import ResetPasswordForm, SignInForm
from privacy.urls import urlpatterns as privacy_patterns
from subscriptions.urls import urlpatterns as subscription_patterns
from subscriptions.views import records as line_views
from terminations.urls import urlpatterns as termination_patterns

auth_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ResetPasswordForm,
            success_url=reverse_lazy("portal:password_reset_done"),
            subject_template_name="emails/password-reset-subject.txt",
            email_template_name="emails/password-reset-body.txt",
            html_email_template_name="emails/password-reset-body.html",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("portal:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

portal_patterns = [
    path("", views.home, name="home"),
    path("conditions/", views.conditions, name="conditions"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("lines/<int:pk>/", line_views.line_detail, name="line_detail"),
    path("lines/<int:pk>/options/add/", line_views.line_option_add, name="line_option_add"),
    path("invoices/", billing_views.invoice_list, name="invoice_list"),
    path("invoices/delivery/", billing_views.invoice_delivery, name="invoice_delivery"),
    path("invoices/<int:pk>/pdf/", billing_views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/copy/", billing_views.invoice_copy, name="invoice_copy"),
    path(
        "invoices/<int:pk>/detailed/",
        billing_views.invoice_detailed_pdf,
        name="invoice_detailed_pdf",
    ),
    path("lines/<int:pk>/passes/", passes_views.line_passes, name="line_passes"),
    *auth_patterns,
    *subscription_patterns,
    *privacy_patterns,
    *termination_patterns,
    *einvoice_patterns,
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(("api.urls", "api"))),
    path("admin/", admin.site.urls),
]
