from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts.second_factor import StaffSignInForm
from portal.admin_lists import isolate_list_cells

# Issue 16, point 5: staff open identity documents, so the back office asks every staff account
# for its TOTP code (django-otp) besides its password; a session without it is sent to the
# admin's sign-in page. The same site object, so every registration stays as it is.
admin.site.__class__ = OTPAdminSite
admin.site.login_form = StaffSignInForm

admin.site.site_header = _("Boutique back office")
admin.site.site_title = _("Boutique back office")
admin.site.index_title = _("Files, lines and tariff grid")

# Issue 16, point 6: customers' text isolated in every change list (portal/admin_lists.py).
isolate_list_cells()
