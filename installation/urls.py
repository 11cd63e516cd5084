from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from controller import views as controller_views
from installation.health import healthz
from projector import views as projector_views
from projector.replay import replay_sheet


def favicon(request):
    """Browsers ask for /favicon.ico on every page, the admin's included."""
    return HttpResponseRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("", controller_views.phone, name="phone"),
    path("projector/", projector_views.wall, name="wall"),
    path("projector/sheet/", projector_views.sheet, name="sheet"),
    path("projector/sheet/<int:sheet_id>/", replay_sheet, name="sheet-replay"),
    path("projector/view/", projector_views.view, name="view"),
    path("projector/join.svg", projector_views.join_qr, name="join-qr"),
    path("poster/", projector_views.poster, name="poster"),
    path("healthz", healthz, name="healthz"),
    # Exhibit, Sheet and Device moved to core (docs/decisions.md, "One core"): curators'
    # bookmarks to their old admin pages still arrive.
    re_path(
        r"^admin/(?:projector|controller)/(?P<rest>(?:exhibit|sheet|device)/.*)$",
        RedirectView.as_view(url="/admin/core/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
]
