"""Two-level approval of a regional campaign (docs/domain.md §5, DHIS2's data approval).

Level one: the coordinator accepts (or returns) its municipality's schools (``monitoring.campaigns``).
Level two: the coordinator signs the municipality off (``municipality_sign``) once every school of
it is accepted; the region's operator accepts it (``municipality_accept``) or returns it with a
comment (``municipality_return``), which reopens it: the coordinator sees the comment and may
return and accept its schools again. While a municipality is signed or accepted its schools'
submissions can be neither accepted nor returned (``require_reopened``, called by the submission
services). A municipal campaign keeps one level: these services refuse it.

Every step is a ``MunicipalityApprovalEvent`` (who, when, from → to, comment). Each service locks
the campaign row first, as the submission services do, so that a sign-off and a school's return
never cross. Out of scope: ``Http404``; in scope but not allowed: ``PermissionDenied``; broken
rules: ``ValidationError``, in Russian.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from registry import access
from registry.models import Municipality

from . import rights
from .models import Campaign, CampaignTarget, MunicipalityApproval, MunicipalityApprovalEvent, Submission

AStatus = MunicipalityApproval.Status
CStatus = Campaign.Status
NOT_FOUND = "Объект не найден"
ONE_LEVEL = "В муниципальном мониторинге один уровень приёмки: муниципалитет не подписывается."


def _lock(user, campaign: Campaign, municipality: Municipality) -> tuple[Campaign, MunicipalityApproval]:
    """Lock the campaign, then the municipality's approval row (created «открыт» on first use)."""
    if not access.scoped(user, Campaign.objects.filter(pk=campaign.pk)).exists():
        raise Http404(NOT_FOUND)
    if not access.scoped(user, Municipality.objects.filter(pk=municipality.pk)).exists():
        raise Http404(NOT_FOUND)
    campaign = Campaign.objects.select_for_update(of=("self",)).select_related("region").get(pk=campaign.pk)
    if not CampaignTarget.objects.filter(campaign=campaign, municipality=municipality).exists():
        raise Http404(NOT_FOUND)
    if not campaign.is_regional:
        raise ValidationError(ONE_LEVEL)
    approval, _ = MunicipalityApproval.objects.get_or_create(campaign=campaign, municipality=municipality)
    approval = (
        MunicipalityApproval.objects.select_for_update(of=("self",))
        .select_related("municipality")
        .get(pk=approval.pk)
    )
    approval.campaign = campaign
    return campaign, approval


def _log(approval: MunicipalityApproval, user, at, from_status: str, comment: str = "") -> None:
    MunicipalityApprovalEvent.objects.create(
        approval=approval,
        user=user if getattr(user, "is_authenticated", False) else None,
        at=at,
        from_status=from_status,
        to_status=approval.status,
        comment=comment,
    )


def _require_collecting(campaign: Campaign) -> None:
    if campaign.status == CStatus.DRAFT:
        raise ValidationError("Мониторинг ещё не открыт.")
    if campaign.status == CStatus.PUBLISHED:
        raise ValidationError("Мониторинг опубликован: приёмка муниципалитетов закончена.")


def not_accepted_count(*, campaign: Campaign, municipality: Municipality) -> tuple[int, int]:
    """(schools of the municipality whose submission is not accepted, schools expected)."""
    rows = Submission.objects.filter(campaign=campaign, municipality=municipality)
    expected = rows.count()
    return expected - rows.filter(status=Submission.Status.ACCEPTED).count(), expected


def municipality_sign(
    *,
    user,
    campaign: Campaign,
    municipality: Municipality,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> MunicipalityApproval:
    """The coordinator signs the municipality off: only when every school of it is accepted."""
    at = at or timezone.now()
    with transaction.atomic():
        campaign, approval = _lock(user, campaign, municipality)
        if not access.can_write(user, approval, rights.SIGN):
            raise PermissionDenied(access.write_rule(approval, rights.SIGN).refusal)
        _require_collecting(campaign)
        if approval.status == AStatus.SIGNED:
            raise ValidationError("Муниципалитет уже подписан и ждёт решения регионального оператора.")
        if approval.status == AStatus.ACCEPTED:
            raise ValidationError("Муниципалитет уже принят региональным оператором.")
        missing, expected = not_accepted_count(campaign=campaign, municipality=municipality)
        if missing:
            raise ValidationError(
                f"Не приняты отчёты {missing} из {expected} организаций муниципалитета: "
                "подписать муниципалитет можно, когда приняты все."
            )
        from_status = approval.status
        approval.status = AStatus.SIGNED
        approval.signed_at = at
        approval.signed_by = user
        approval.save()
        _log(approval, user, at, from_status, (comment or "").strip())
    return approval


def municipality_accept(
    *,
    user,
    campaign: Campaign,
    municipality: Municipality,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> MunicipalityApproval:
    """The region's operator accepts a signed municipality: its figures count as the region's."""
    at = at or timezone.now()
    with transaction.atomic():
        campaign, approval = _lock(user, campaign, municipality)
        if not access.can_write(user, approval, rights.APPROVE):
            raise PermissionDenied(access.write_rule(approval, rights.APPROVE).refusal)
        _require_collecting(campaign)
        if approval.status == AStatus.ACCEPTED:
            raise ValidationError("Муниципалитет уже принят.")
        if approval.status != AStatus.SIGNED:
            raise ValidationError("Принять можно только муниципалитет, подписанный координатором.")
        approval.status = AStatus.ACCEPTED
        approval.decided_at = at
        approval.decided_by = user
        approval.comment = (comment or "").strip()
        approval.save()
        _log(approval, user, at, AStatus.SIGNED, approval.comment)
    return approval


def municipality_return(
    *,
    user,
    campaign: Campaign,
    municipality: Municipality,
    comment: str,
    at: datetime.datetime | None = None,
) -> MunicipalityApproval:
    """The operator returns a signed (or accepted) municipality to its coordinator, saying what to fix."""
    at = at or timezone.now()
    with transaction.atomic():
        campaign, approval = _lock(user, campaign, municipality)
        if not access.can_write(user, approval, rights.APPROVE):
            raise PermissionDenied(access.write_rule(approval, rights.APPROVE).refusal)
        _require_collecting(campaign)
        if approval.status not in (AStatus.SIGNED, AStatus.ACCEPTED):
            raise ValidationError("Вернуть можно только подписанный координатором муниципалитет.")
        if not (comment or "").strip():
            raise ValidationError({"comment": "Укажите, что нужно исправить."})
        from_status = approval.status
        approval.status = AStatus.RETURNED
        approval.decided_at = at
        approval.decided_by = user
        approval.comment = comment.strip()
        approval.save()
        _log(approval, user, at, from_status, approval.comment)
    return approval


def require_reopened(*, campaign: Campaign, municipality_id: int) -> str | None:
    """ValidationError if the municipality is signed off or accepted (the campaign row is locked);
    else its approval status (None: a municipal campaign, or no row yet)."""
    if not campaign.is_regional:
        return None
    status = (
        MunicipalityApproval.objects.filter(campaign=campaign, municipality=municipality_id)
        .values_list("status", flat=True)
        .first()
    )
    if status == AStatus.SIGNED:
        raise ValidationError(
            "Муниципалитет подписан координатором и ждёт решения регионального оператора: "
            "принять или вернуть отчёт его организации нельзя."
        )
    if status == AStatus.ACCEPTED:
        raise ValidationError(
            "Муниципалитет принят региональным оператором: принять или вернуть отчёт его организации нельзя."
        )
    return status
