"""The portal as the pages step serves it with gunicorn: `portal.wsgi`'s stack, at the bench's
clock, with one more URL, the minimal signed-in view the customer pages are measured against.

The minimal view goes through the same middleware, session, authentication and context
processors as any page; it only reads request.user and renders a one-line template. Each gunicorn
worker imports this module after its fork, so each opens its own database connections.
"""

import os
from datetime import datetime

import time_machine

# The step's clock (bench/__main__.py): the invoices' statuses and the pages' dates are those
# of the day the bench says, whatever today is. Started before Django so that every reading of
# the time in the worker sees it.
time_machine.travel(datetime.fromisoformat(os.environ["BENCH_SERVED_CLOCK"]), tick=True).start()

from django.conf import settings  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402

application = get_wsgi_application()

from portal.urls import urlpatterns as portal_urlpatterns  # noqa: E402

MINIMAL = engines["django"].from_string("<p>{{ request.user.get_username }}</p>")


@login_required
def minimal_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(MINIMAL.render({}, request))


urlpatterns = [path("bench/minimal/", minimal_view), *portal_urlpatterns]
settings.ROOT_URLCONF = __name__
