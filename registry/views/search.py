"""«Поиск» in the header: one box, results by kind in the user's scope (registry.search)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from registry import search as finder


@login_required
@require_http_methods(["GET", "HEAD"])
def search(request):
    results = finder.search(user=request.user, text=request.GET.get("q", ""))
    return render(request, "registry/search.html", {"results": results, "per_kind": finder.PER_KIND})


urlpatterns = [
    path("search/", search, name="search"),
]
