from django.urls import path

from subscriptions.views import files, records

urlpatterns = [
    path("subscribe/", files.subscribe, name="subscribe"),
    path("subscribe/account/", files.subscribe_account, name="subscribe_account"),
    path("subscribe/<slug:step>/", files.subscribe_step, name="subscribe_step"),
    path("confirm-email/resend/", files.email_confirm_resend, name="email_confirm_resend"),
    path("confirm-email/<str:token>/", files.email_confirm_view, name="email_confirm"),
    path("files/<int:pk>/", files.file_detail, name="file_detail"),
    path("files/<int:pk>/form.pdf", files.file_form_pdf, name="file_form_pdf"),
    path(
        "files/<int:pk>/refusal-letter.pdf", files.file_refusal_letter, name="file_refusal_letter"
    ),
    path("documents/<int:pk>/", files.piece_download, name="piece_download"),
    path("lines/<int:pk>/top-up/", records.line_top_up, name="line_top_up"),
    path("lines/<int:pk>/lost-sim/", records.line_sim_loss, name="line_sim_loss"),
    path("lines/<int:pk>/suspension/", records.line_suspension, name="line_suspension"),
]
