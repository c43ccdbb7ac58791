"""Two-level approval of a regional campaign (docs/domain.md §5): the coordinator accepts its schools
and signs the municipality off, the operator accepts or returns the municipality; the region's figures
over the accepted municipalities only; the screens and who may open them.

Actors (tests/conftest.py): ``coordinator`` of ``municipality`` (``school``, ``neighbour_school``),
``other_coordinator`` of ``other_municipality`` (``other_school``), ``operator`` of the region.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import approval as approval_svc
from monitoring import campaigns as svc
from monitoring import selectors
from monitoring.models import Campaign, MunicipalityApproval, MunicipalityApprovalEvent, Submission
from tests import factories as f

pytestmark = pytest.mark.django_db

A = MunicipalityApproval.Status
S = Submission.Status
YES = {"regulation_on_site": {"value": "да", "url": "https://school.example.ru/nastavnichestvo"}}
NO = {"regulation_on_site": "нет"}


def dates() -> dict:
    today = timezone.localdate()
    return {
        "period_start": today,
        "period_end": today + datetime.timedelta(days=10),
        "as_of_date": today,
        "deadline": today + datetime.timedelta(days=10),
    }


def submission_of(campaign, org) -> Submission:
    return Submission.objects.get(campaign=campaign, organization=org)


@pytest.fixture
def curators(school, neighbour_school, other_school):
    return {
        org: f.make_user(role="curator", organization=org) for org in (school, neighbour_school, other_school)
    }


@pytest.fixture
def regional(operator, curators, school, neighbour_school, other_school):
    """An open regional campaign (R7): every school has sent; «да» in ``school`` and ``other_school``."""
    campaign = svc.campaign_create(
        user=operator, indicators=["R7"], title="Региональный мониторинг", **dates()
    )
    campaign = svc.campaign_open(user=operator, campaign=campaign)
    for org, curator in curators.items():
        values = NO if org == neighbour_school else YES
        svc.submission_submit(user=curator, submission=submission_of(campaign, org), values=values)
    return Campaign.objects.select_related("region", "municipality").get(pk=campaign.pk)


def accept_all(user, campaign, *orgs):
    for org in orgs:
        svc.submission_accept(user=user, submission=submission_of(campaign, org))


def sign(user, campaign, municipality, **kw):
    return approval_svc.municipality_sign(user=user, campaign=campaign, municipality=municipality, **kw)


def steps(campaign, municipality) -> list[tuple[str, str, str]]:
    return list(
        MunicipalityApprovalEvent.objects.filter(
            approval__campaign=campaign, approval__municipality=municipality
        )
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "comment")
    )


# ---------------------------------------------------------------- the services


def test_the_whole_flow(regional, coordinator, operator, curators, municipality, school, neighbour_school):
    campaign = regional
    accept_all(coordinator, campaign, school)
    with pytest.raises(ValidationError, match="Не приняты отчёты 1 из 2 организаций"):
        sign(coordinator, campaign, municipality)
    accept_all(coordinator, campaign, neighbour_school)
    approval = sign(coordinator, campaign, municipality)
    assert approval.status == A.SIGNED and approval.signed_by == coordinator and approval.signed_at

    # Signed off: its schools are locked for the coordinator and the operator alike.
    with pytest.raises(ValidationError, match="подписан координатором"):
        svc.submission_return(
            user=coordinator, submission=submission_of(campaign, school), comment="Исправьте"
        )
    with pytest.raises(ValidationError, match="подписан координатором"):
        svc.submission_return(user=operator, submission=submission_of(campaign, school), comment="Исправьте")
    assert submission_of(campaign, school).status == S.ACCEPTED

    # The operator returns it, saying why: it reopens, and the schools can be returned again.
    with pytest.raises(ValidationError, match="Укажите, что нужно исправить"):
        approval_svc.municipality_return(
            user=operator, campaign=campaign, municipality=municipality, comment=" "
        )
    approval = approval_svc.municipality_return(
        user=operator, campaign=campaign, municipality=municipality, comment="Проверьте СОШ № 1"
    )
    assert approval.status == A.RETURNED and approval.comment == "Проверьте СОШ № 1"
    # Returned: the coordinator may return even an accepted school of it (else final).
    svc.submission_return(user=coordinator, submission=submission_of(campaign, school), comment="Сверьте")
    assert submission_of(campaign, school).status == S.RETURNED
    svc.submission_submit(user=curators[school], submission=submission_of(campaign, school), values=YES)
    accept_all(coordinator, campaign, school)
    sign(coordinator, campaign, municipality, comment="Исправлено")
    approval = approval_svc.municipality_accept(user=operator, campaign=campaign, municipality=municipality)
    assert approval.status == A.ACCEPTED and approval.decided_by == operator
    with pytest.raises(ValidationError, match="принят региональным оператором"):
        svc.submission_return(user=coordinator, submission=submission_of(campaign, school), comment="Ещё")

    assert steps(campaign, municipality) == [
        (A.OPEN, A.SIGNED, ""),
        (A.SIGNED, A.RETURNED, "Проверьте СОШ № 1"),
        (A.RETURNED, A.SIGNED, "Исправлено"),
        (A.SIGNED, A.ACCEPTED, ""),
    ]


def test_refusals(
    regional, coordinator, other_coordinator, operator, curators, municipality, school, neighbour_school
):
    campaign = regional
    accept_all(coordinator, campaign, school, neighbour_school)
    with pytest.raises(ValidationError, match="подписанный координатором"):
        approval_svc.municipality_accept(user=operator, campaign=campaign, municipality=municipality)
    with pytest.raises(PermissionDenied, match="только его координатор"):
        sign(operator, campaign, municipality)
    with pytest.raises(PermissionDenied, match="только его координатор"):
        sign(curators[school], campaign, municipality)
    with pytest.raises(Http404):
        sign(other_coordinator, campaign, municipality)
    far_operator = f.make_user(role="operator", region=f.make_region())
    sign(coordinator, campaign, municipality)
    with pytest.raises(ValidationError, match="уже подписан"):
        sign(coordinator, campaign, municipality)
    with pytest.raises(PermissionDenied, match="только региональный оператор"):
        approval_svc.municipality_accept(user=coordinator, campaign=campaign, municipality=municipality)
    with pytest.raises(Http404):
        approval_svc.municipality_accept(user=far_operator, campaign=campaign, municipality=municipality)
    with pytest.raises(Http404):
        approval_svc.municipality_return(
            user=far_operator, campaign=campaign, municipality=municipality, comment="Чужой"
        )
    assert MunicipalityApproval.objects.get(campaign=campaign, municipality=municipality).status == A.SIGNED
    assert len(steps(campaign, municipality)) == 1  # nothing written by the refusals


def test_a_municipal_campaign_keeps_one_level(coordinator, curators, municipality, school, neighbour_school):
    campaign = svc.campaign_create(
        user=coordinator, municipality=municipality, indicators=["R7"], title="Муниципальный", **dates()
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign)
    for org in (school, neighbour_school):
        svc.submission_submit(user=curators[org], submission=submission_of(campaign, org), values=NO)
        accept_all(coordinator, campaign, org)
    with pytest.raises(ValidationError, match="один уровень"):
        sign(coordinator, campaign, municipality)
    assert not MunicipalityApproval.objects.exists()
    assert selectors.completeness(campaign).approval is None


def test_the_regions_figures_with_and_without_the_option(
    regional,
    coordinator,
    other_coordinator,
    operator,
    municipality,
    other_municipality,
    school,
    neighbour_school,
):
    campaign = regional
    accept_all(coordinator, campaign, school, neighbour_school)
    sign(coordinator, campaign, municipality)
    approval_svc.municipality_accept(user=operator, campaign=campaign, municipality=municipality)
    # The other municipality has sent («да») but is not accepted: the option leaves it out exactly.
    full = selectors.indicator_report(campaign)
    only = selectors.indicator_report(campaign, accepted_only=True)
    other = next(row for row in full.municipalities if row.municipality_id == other_municipality.pk)
    assert [row.municipality_id for row in only.municipalities] == [municipality.pk]
    whole, accepted, rest = (r.values["R7"] for r in (full.total, only.total, other))
    assert (whole.numerator, whole.denominator) == (2, 3)
    assert (accepted.numerator, accepted.denominator) == (1, 2)
    assert whole.numerator - accepted.numerator == rest.numerator == 1
    assert whole.denominator - accepted.denominator == rest.denominator == 1
    assert [
        r.municipality_id for r in selectors.municipality_ranking(campaign, "R7", accepted_only=True)
    ] == [municipality.pk]

    progress, accepted_progress = (
        selectors.completeness(campaign),
        selectors.completeness(campaign, accepted_only=True),
    )
    assert (progress.total.expected, accepted_progress.total.expected) == (3, 2)
    assert (progress.total.accepted, accepted_progress.total.accepted) == (2, 2)
    assert progress.approval == accepted_progress.approval == selectors.ApprovalCounts(2, 1, 1)
    assert progress.approval.text == "подписано 1 / принято 1 из 2"
    # A coordinator reads its own municipality's level only.
    assert selectors.completeness(campaign, user=other_coordinator).approval == selectors.ApprovalCounts(
        1, 0, 0
    )


# ---------------------------------------------------------------- the screens


def approval_url(campaign, municipality) -> str:
    return reverse("monitoring:campaign-approval", args=[campaign.pk, municipality.pk])


def detail_url(campaign) -> str:
    return reverse("monitoring:campaign-detail", args=[campaign.pk])


def test_the_screens(
    client_for, regional, coordinator, operator, municipality, other_municipality, school, neighbour_school
):
    campaign = regional
    accept_all(coordinator, campaign, school, neighbour_school)
    client = client_for(coordinator)
    page = client.get(detail_url(campaign)).content.decode()
    assert "Подписать муниципалитет" in page and approval_url(campaign, municipality) in page
    assert approval_url(campaign, other_municipality) not in page  # its own municipality only
    # No confirmation: the form comes back with its error, nothing is signed.
    response = client.post(approval_url(campaign, municipality), {"action": "sign"})
    assert response.status_code == 200
    assert "Подтвердите подписание муниципалитета." in response.content.decode()
    assert not MunicipalityApproval.objects.exists()
    response = client.post(approval_url(campaign, municipality), {"action": "sign", "confirm": "on"})
    assert response.status_code == 302
    assert MunicipalityApproval.objects.get().status == A.SIGNED

    client = client_for(operator)
    page = client.get(detail_url(campaign)).content.decode()
    assert "Принять / Вернуть" in page and "подписано 1 / принято 0 из 2" in page
    response = client.post(approval_url(campaign, municipality), {"action": "return", "comment": ""})
    assert response.status_code == 200 and "Укажите, что нужно исправить." in response.content.decode()
    assert MunicipalityApproval.objects.get().status == A.SIGNED
    response = client.post(approval_url(campaign, municipality), {"action": "return", "comment": "Сверьте"})
    assert response.status_code == 302
    # A coordinator's try at the operator's action: 403, nothing changes.
    client = client_for(coordinator)
    assert client.post(approval_url(campaign, municipality), {"action": "accept"}).status_code == 403
    page = client.get(detail_url(campaign)).content.decode()
    assert "Сверьте" in page and "возвращён оператором" in page
    page = client.get(approval_url(campaign, municipality)).content.decode()
    assert "Сверьте" in page and "Подписать муниципалитет" in page

    # The operator's option: only the accepted municipalities (none yet) count.
    client = client_for(operator)
    response = client.get(detail_url(campaign) + "?accepted_only=1")
    assert response.context["accepted_only"] is True
    assert response.context["report"].total.expected == 0 and response.context["progress"].total.expected == 0
    assert client.get(detail_url(campaign)).context["report"].total.expected == 3


def test_who_opens_the_approval_page(
    client_for, regional, curators, coordinator, other_coordinator, operator, admin_user, municipality, school
):
    campaign = regional
    url = approval_url(campaign, municipality)
    assert client_for(coordinator).get(url).status_code == 200
    assert client_for(operator).get(url).status_code == 200
    assert client_for(admin_user).get(url).status_code == 200
    assert client_for(curators[school]).get(url).status_code == 403
    assert client_for(other_coordinator).get(url).status_code == 404
    far_operator = f.make_user(role="operator", region=f.make_region())
    assert client_for(far_operator).get(url).status_code == 404
    assert client_for(far_operator).post(url, {"action": "accept"}).status_code == 404
    client = client_for(operator)
    # A municipality the campaign does not cover, an unknown one, an unknown campaign: 404.
    outside = f.make_municipality(region=campaign.region)
    assert client.get(approval_url(campaign, outside)).status_code == 404
    assert client.get(f"/monitoring/campaigns/{campaign.pk}/municipalities/999999/").status_code == 404
    assert (
        client.get(reverse("monitoring:campaign-approval", args=[999999, municipality.pk])).status_code == 404
    )


def test_a_municipal_campaign_has_no_approval_page(client_for, coordinator, municipality, curators):
    campaign = svc.campaign_create(
        user=coordinator, municipality=municipality, indicators=["R7"], title="Муниципальный", **dates()
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign)
    client = client_for(coordinator)
    assert client.get(approval_url(campaign, municipality)).status_code == 404
    assert "Приёмка муниципалитетов" not in client.get(detail_url(campaign)).content.decode()


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_campaign_page_takes_a_fixed_number_of_queries(
    client_for, regional, operator, coordinator, municipality, school, neighbour_school
):
    """Pinned: the approval table and counts add one query to the page; the option filters in the
    database (a subquery), no query more."""
    campaign = regional
    accept_all(coordinator, campaign, school, neighbour_school)
    sign(coordinator, campaign, municipality)
    counts = {}
    for name, user in (("operator", operator), ("coordinator", coordinator)):
        client = client_for(user)
        client.get(detail_url(campaign))  # warm the session
        counts[name] = queries(client, detail_url(campaign))
        counts[f"{name}, accepted only"] = queries(client, detail_url(campaign) + "?accepted_only=1")
        counts[f"{name}, approval page"] = queries(client, approval_url(campaign, municipality))
    assert counts == PINNED


# The approval rows are one query over the completeness (none for a municipal campaign); a
# coordinator's page one more than the operator's (its own school-level checks, as before); every
# page one for the header's unread notices (the bell, docs/architecture.md §14).
PINNED = {
    "operator": 15,
    "operator, accepted only": 15,
    "operator, approval page": 11,
    "coordinator": 16,
    "coordinator, accepted only": 16,
    "coordinator, approval page": 11,
}


def test_the_submission_page_follows_the_municipalitys_level(
    client_for, regional, coordinator, operator, municipality, school, neighbour_school
):
    campaign = regional
    accept_all(coordinator, campaign, school, neighbour_school)
    url = reverse("monitoring:submission-detail", args=[submission_of(campaign, school).pk])
    returning = 'value="return"'
    client = client_for(coordinator)
    assert returning not in client.get(url).content.decode()  # accepted: final
    sign(coordinator, campaign, municipality)
    assert returning not in client.get(url).content.decode()
    approval_svc.municipality_return(
        user=operator, campaign=campaign, municipality=municipality, comment="Сверьте"
    )
    assert returning in client.get(url).content.decode()  # reopened: even an accepted school
    response = client.post(
        reverse("monitoring:submission-review", args=[submission_of(campaign, school).pk]),
        {"action": "return", "comment": "Уточните данные"},
    )
    assert response.status_code == 302 and submission_of(campaign, school).status == S.RETURNED


def test_the_admin_reads_the_approvals_of_a_campaign(
    client_for, regional, coordinator, admin_user, municipality, school, neighbour_school
):
    accept_all(coordinator, regional, school, neighbour_school)
    sign(coordinator, regional, municipality)
    response = client_for(admin_user).get(reverse("admin:monitoring_campaign_change", args=[regional.pk]))
    assert response.status_code == 200
    assert "подписан координатором" in response.content.decode()


def test_the_exports_follow_the_option(
    client_for, regional, coordinator, operator, municipality, other_municipality, school, neighbour_school
):
    import io

    from openpyxl import load_workbook

    accept_all(coordinator, regional, school, neighbour_school)
    sign(coordinator, regional, municipality)
    approval_svc.municipality_accept(user=operator, campaign=regional, municipality=municipality)
    client = client_for(operator)

    def completeness(query):
        response = client.get(detail_url(regional) + f"?format=xlsx&table=completeness{query}")
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        return [(row[0], row[1]) for row in rows[4:]]  # title, «Выгрузил», blank, header

    whole, only = completeness(""), completeness("&accepted_only=1")
    total = whole[-1][0]
    assert sorted(whole[:-1]) == sorted([(municipality.name, 2), (other_municipality.name, 1)])
    assert whole[-1] == (total, 3)
    assert only == [(municipality.name, 2), (total, 2)]
