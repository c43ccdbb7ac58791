"""«Поиск» in the header: one box, results by kind in the user's scope (mentoring_portal/search.py).

Above the apps: it reads people and pairs (registry), road maps (monitoring) and reports alike.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from mentoring_portal import search as finder


@login_required
@require_http_methods(["GET", "HEAD"])
def search(request):
    results = finder.search(user=request.user, text=request.GET.get("q", ""))
    return render(request, "portal/search.html", {"results": results, "per_kind": finder.PER_KIND})
