from django.urls import path

from terminations import views

urlpatterns = [
    path("terminations/new/", views.termination_new, name="termination_new"),
    path("terminations/<int:pk>/", views.termination_detail, name="termination_detail"),
    path("terminations/<int:pk>/letter.pdf", views.termination_letter, name="termination_letter"),
    path("options/<int:pk>/end/", views.option_end, name="option_end"),
]
