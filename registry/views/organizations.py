from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from registry import access, selectors
from registry.models import Organization


@login_required
def organization_list(request):
    organizations = access.scoped(request.user, Organization.objects.select_related("municipality"))
    query = request.GET.get("q", "").strip()
    if query:
        organizations = organizations.filter(
            Q(full_name__icontains=query) | Q(short_name__icontains=query) | Q(code__iexact=query)
        )
    page = Paginator(organizations.order_by("municipality__name", "full_name"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "registry/organization_list.html", {"page": page, "query": query})


@login_required
def organization_detail(request, code):
    organization = access.get_scoped_or_404(
        request.user, Organization.objects.select_related("municipality__region"), code=code
    )
    today = timezone.localdate()
    context = {
        "organization": organization,
        "statuses": organization.statuses.order_by("kind", "start_date"),
        "headcounts": organization.headcounts.order_by("-school_year")[:5],
        "documents": organization.documents.order_by("-date")[:20],
        "totals": selectors.totals(scope=organization, as_of=today),
        "forms": sorted(
            selectors.form_counts(scope=organization, as_of=today).values(), key=lambda c: c.form_name
        ),
        "today": today,
    }
    return render(request, "registry/organization_detail.html", context)


urlpatterns = [
    path("organizations/", organization_list, name="organization-list"),
    path("organizations/<str:code>/", organization_detail, name="organization-detail"),
]
