from django.urls import path

from subscriptions import line_views, views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/account/", views.subscribe_account, name="subscribe_account"),
    path("subscribe/<slug:step>/", views.subscribe_step, name="subscribe_step"),
    path("confirm-email/resend/", views.email_confirm_resend, name="email_confirm_resend"),
    path("confirm-email/<str:token>/", views.email_confirm_view, name="email_confirm"),
    path("files/<int:pk>/", views.file_detail, name="file_detail"),
    path("files/<int:pk>/form.pdf", views.file_form_pdf, name="file_form_pdf"),
    path(
        "files/<int:pk>/refusal-letter.pdf", views.file_refusal_letter, name="file_refusal_letter"
    ),
    path("documents/<int:pk>/", views.piece_download, name="piece_download"),
    path("lines/<int:pk>/top-up/", line_views.line_top_up, name="line_top_up"),
    path("lines/<int:pk>/lost-sim/", line_views.line_sim_loss, name="line_sim_loss"),
    path("lines/<int:pk>/suspension/", line_views.line_suspension, name="line_suspension"),
]
