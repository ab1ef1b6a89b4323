from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Boutique back office")
admin.site.site_title = _("Boutique back office")
admin.site.index_title = _("Files, lines and tariff grid")
