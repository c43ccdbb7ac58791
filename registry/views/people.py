"""«Наставники» and «Наставляемые»: the bases, the person card, adding, editing, archiving.

Reads go through ``registry.access`` (out of scope: 404); writes are for the person's curator
and admins (coordinators and operators read: 403); the logic lives in ``registry.people``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.downloads import attachment
from registry import access, accounts, export_jobs, exports, people, privacy
from registry.forms.people import BaseFilter, PersonCreateForm, PersonDestroyForm, PersonEditForm
from registry.models import (
    BaseMembership,
    Category,
    Mentorship,
    MentorshipLink,
    Person,
    PersonalDataDestruction,
    UserScope,
)

Base = BaseMembership.Base
Role = access.Role
PAGE_SIZE = 50

TITLES = {Base.MENTORS: "Наставники", Base.MENTEES: "Наставляемые"}
ADD_LABELS = {Base.MENTORS: "Добавить наставника", Base.MENTEES: "Добавить наставляемого"}
LIST_URLS = {Base.MENTORS: "registry:mentor-list", Base.MENTEES: "registry:mentee-list"}

ADDED = "«{name}» добавлен(а) в {base}."
ADDED_EXISTING = (
    "«{name}» уже был(а) в реестре организации (те же ФИО и дата рождения): добавлен(а) в {base}, "
    "сохранённые данные участника не изменены."
)
RESTORED_ON_ADD = "«{name}» уже был(а) в {base} и возвращен(а) из архива."
SAVED = "Данные участника сохранены."
NOTHING_CHANGED = "Изменений нет."
ARCHIVED = "«{name}» исключен(а) из {base} (перенесен(а) в архив)."
RESTORED = "«{name}» возвращен(а) из архива в {base}."
DESTROYED = (
    "Персональные данные участника уничтожены (акт №\u00a0{number} от {date:%d.%m.%Y}); "
    "событие записано в журнал уничтожения."
)


def _base_param(request) -> str:
    base = request.POST.get("base") or request.GET.get("base")
    if base not in Base.values:
        raise Http404("Неизвестная база")
    return base


def pair_url(pk) -> str:
    # The pair screens are built separately; until their URL exists, link to its agreed path.
    try:
        return reverse("registry:mentorship-detail", args=[pk])
    except NoReverseMatch:
        return f"/pairs/{pk}/"


def position_or_grade(person: Person) -> str:
    if person.category == Category.STUDENT:
        return person.grade
    return person.position


# ---------------------------------------------------------------- lists


def _base_list(request, base: str):
    user, today = request.user, timezone.localdate()
    role = access.role_of(user)
    rows = people.base_rows(user=user, base=base, today=today)
    filterset = BaseFilter(request.GET, queryset=rows, user=user, base=base, today=today)
    # A tampered filter (an organization out of scope, an unknown choice) shows nothing, not everything.
    rows = filterset.qs if filterset.is_valid() else rows.none()
    archived = filterset.form.cleaned_data.get("archived") == "1" if filterset.is_valid() else False
    show_pd = role in (Role.CURATOR, Role.ADMIN)
    show_organization = role != Role.CURATOR
    if request.GET.get("format") == "xlsx":
        return _export(request, base, rows, today=today, archived=archived, show_pd=show_pd)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    forms = people.forms_by_person(person_ids=[row.person_id for row in page], base=base, today=today)
    for row in page:
        row.forms = forms.get(row.person_id, [])
        row.position_or_grade = position_or_grade(row.person)
        row.show_pd = show_pd and row.own_person
    context = {
        "base": base,
        "title": TITLES[base] + (" — архив" if archived else ""),
        "page": page,
        "filterset": filterset,
        "archived": archived,
        "show_pd": show_pd,
        "minors_hidden": not access.sees_minor_names(user),
        "show_organization": show_organization,
        "can_add": access.can_write(user, Person),
        "add_label": ADD_LABELS[base],
        "limit": settings.MENTOR_MENTEE_LIMIT,
        "other_base": Base.MENTEES if base == Base.MENTORS else Base.MENTORS,
        "other_title": TITLES[Base.MENTEES if base == Base.MENTORS else Base.MENTORS],
        "other_url": LIST_URLS[Base.MENTEES if base == Base.MENTORS else Base.MENTORS],
    }
    return render(request, "registry/people/person_list.html", context)


def _export(request, base, rows, *, today, archived, show_pd):
    forms = people.forms_by_person(person_ids=rows.values("person_id"), base=base, today=today)
    columns = ["ФИО", "Организация", "Код ОО", "Категория", "Должность / класс"]
    if show_pd:
        columns += ["Дата рождения", "Email", "Телефон"]
    columns += ["Формы наставничества", "В паре"]
    if base == Base.MENTORS:
        columns += ["Обучен как наставник", "Наставляемых сейчас", "Компетенции, интересы"]
    else:
        columns += ["Запрос наставляемого"]
    columns += ["Включён в базу"] + (["Исключён из базы"] if archived else [])

    def lines():
        for row in rows.iterator(chunk_size=2000):
            person = row.person
            line = [
                person.full_name,
                str(row.organization),
                row.organization.code,
                person.get_category_display(),
                position_or_grade(person),
            ]
            if show_pd:
                line += [person.birth_date, person.email, person.phone] if row.own_person else ["", "", ""]
            line += [", ".join(forms.get(row.person_id, [])), "в паре" if row.in_pair else "свободен"]
            if base == Base.MENTORS:
                line += [row.trained_as_mentor, row.active_mentees, row.competences]
            else:
                line += [row.request]
            line += [row.included_on] + ([row.archived_on] if archived else [])
            yield line

    title = TITLES[base] + (" (архив)" if archived else "")
    return export_jobs.xlsx_response(
        filename=f"{title}.xlsx",
        title=f"{title} на {today:%d.%m.%Y}",
        columns=columns,
        rows=lines(),
        user=request.user,
        total=rows.count,
    )


@login_required
def mentor_list(request):
    return _base_list(request, Base.MENTORS)


@login_required
def mentee_list(request):
    return _base_list(request, Base.MENTEES)


# ---------------------------------------------------------------- card


@login_required
def person_detail(request, pk):
    user, today = request.user, timezone.localdate()
    person = access.get_scoped_or_404(
        user, Person.objects.select_related("organization__municipality"), pk=pk
    )
    if person.category in access.MINOR_CATEGORIES and not access.sees_minor_names(user):
        raise Http404("Объект не найден")  # above the school, pupils are counts, not cards
    memberships = list(access.scoped(user, person.base_memberships.all()).order_by("base"))
    mentee_links = Prefetch(
        "links", queryset=MentorshipLink.objects.select_related("mentee_person", "mentee_organization")
    )
    all_pairs = Mentorship.objects.filter(Q(mentor_person=person) | Q(links__mentee_person=person)).distinct()
    pairs = list(
        access.scoped(user, all_pairs)
        .select_related("mentoring_form", "mentor_person", "mentor_organization", "organization")
        .prefetch_related(mentee_links)
        .order_by("-start_date")
    )
    for pair in pairs:
        pair.url = pair_url(pair.pk)
        pair.as_mentor = pair.mentor_person_id == person.pk
    active_mentees = (
        people.active_links(today=today)
        .filter(mentor_person=person)
        .values("mentee_person")
        .distinct()
        .count()
    )
    invited = None
    if access.sees_personal_data(user):
        invited = UserScope.objects.select_related("user").filter(person=person).first()
    context = {
        "person": person,
        "show_pd": people.can_see_personal_data(user=user, person=person),
        "can_write": access.can_write(user, person),
        "position_or_grade": position_or_grade(person),
        "memberships": memberships,
        "as_mentor": [p for p in pairs if p.as_mentor],
        "as_mentee": [p for p in pairs if not p.as_mentor],
        "show_minor_names": access.sees_minor_names(user),
        "active_mentees": active_mentees,
        "is_mentor": any(m.base == Base.MENTORS for m in memberships),
        "limit": settings.MENTOR_MENTEE_LIMIT,
        "history": people.person_history(person=person, user=user),
        "today": today,
        "can_handle_pd": access.can_write(user, person, access.PERSONAL_DATA),
        # «Пригласить в портал»: the curator, an adult mentor not yet invited (registry.accounts)
        "invited": invited,
        "can_invite": invited is None
        and access.can_write(user, person, access.INVITE)
        and any(m.base == Base.MENTORS for m in memberships)
        and accounts.is_adult(person=person, today=today),
        "destruction": PersonalDataDestruction.objects.filter(person=person).first(),
    }
    return render(request, "registry/people/person_detail.html", context)


# ---------------------------------------------------------------- writes


def _require_writer(user) -> None:
    access.require_write(user, Person)  # a new person, or one already fetched in scope


def _writable_person(request, pk) -> Person:
    # 404 before 403: a stranger must not learn that the person exists.
    return access.get_writable_or_404(request.user, Person.objects.select_related("organization"), pk=pk)


@login_required
def person_create(request):
    base = _base_param(request)
    _require_writer(request.user)
    form = PersonCreateForm(request.POST or None, user=request.user, base=base, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        scope = access.user_scope(request.user)
        if access.role_of(request.user) == Role.CURATOR:
            organization = scope.organization  # never from the request
        else:
            organization = form.cleaned_data["organization"]
        try:
            added = people.person_create(
                organization=organization, base=base, today=timezone.localdate(), **form.person_values()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            name, base_name = added.person.full_name, people.TO_BASE[base]
            if added.restored:
                messages.success(request, RESTORED_ON_ADD.format(name=name, base=people.IN_BASE[base]))
            elif added.person_existed:
                messages.info(request, ADDED_EXISTING.format(name=name, base=base_name))
            else:
                messages.success(request, ADDED.format(name=name, base=base_name))
            return redirect("registry:person-detail", added.person.pk)
    context = {
        "form": form,
        "base": base,
        "title": ADD_LABELS[base],
        "cancel_url": reverse(LIST_URLS[base]),
    }
    return render(request, "registry/people/person_form.html", context)


@login_required
def person_edit(request, pk):
    person = _writable_person(request, pk)
    title = f"Изменить: {person.full_name}"  # before the form copies the posted values onto person
    memberships = list(access.scoped(request.user, person.base_memberships.all()))
    form = PersonEditForm(
        request.POST or None, instance=person, memberships=memberships, today=timezone.localdate()
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = people.person_update(
                person=person,
                expected_version=form.cleaned_data["version"],
                today=timezone.localdate(),
                **form.person_values(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            changed = saved.version != form.cleaned_data["version"]
            messages.success(request, SAVED if changed else NOTHING_CHANGED)
            return redirect("registry:person-detail", saved.pk)
    context = {
        "form": form,
        "person": person,
        "title": title,
        "cancel_url": reverse("registry:person-detail", args=[person.pk]),
    }
    return render(request, "registry/people/person_form.html", context)


@login_required
@require_POST
def person_archive(request, pk):
    """POST action=archive (default) or action=restore («Вернуть из архива»), ?base=mentors|mentees."""
    person = _writable_person(request, pk)
    base = _base_param(request)
    memberships = access.scoped(request.user, BaseMembership.objects.filter(person=person, base=base))
    # A person may stand in the bases of two organizations; his own one comes first.
    membership = memberships.filter(organization=person.organization_id).first() or memberships.first()
    if membership is None:
        raise Http404("Участник не состоит в этой базе")
    try:
        if request.POST.get("action") == "restore":
            people.base_restore(membership=membership)
            messages.success(request, RESTORED.format(name=person.full_name, base=people.TO_BASE[base]))
        else:
            people.base_archive(membership=membership, today=timezone.localdate())
            messages.success(request, ARCHIVED.format(name=person.full_name, base=people.OF_BASE[base]))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("registry:person-detail", person.pk)


# ---------------------------------------------------------------- personal data (152-ФЗ)


def _person_with_pd(request, pk) -> Person:
    """The person whose personal data the user handles: out of scope 404 (a pupil above the school
    too, as on the card), in scope without the right to personal data 403."""
    user = request.user
    person = access.get_scoped_or_404(user, Person.objects.select_related("organization"), pk=pk)
    if person.category in access.MINOR_CATEGORIES and not access.sees_minor_names(user):
        raise Http404("Объект не найден")
    access.require_write(user, person, access.PERSONAL_DATA)
    return person


@login_required
def person_export(request, pk):
    """«Всё, что хранится об участнике» (152-ФЗ art. 14) as .xlsx, watermarked, never cached."""
    person = _person_with_pd(request, pk)
    content = privacy.person_export_bytes(person=person, user=request.user)
    response = HttpResponse(content, content_type=exports.XLSX)
    filename = privacy.export_filename(person=person, today=timezone.localdate())
    response["Content-Disposition"] = attachment(filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def person_destroy(request, pk):
    """«Уничтожить персональные данные»: a confirmation page, then one transaction (registry.privacy)."""
    person = _person_with_pd(request, pk)
    _require_writer(request.user)
    today = timezone.localdate()
    form = PersonDestroyForm(request.POST or None, today=today)
    done = PersonalDataDestruction.objects.filter(person=person).first()
    if request.method == "POST" and done is None and form.is_valid():
        try:
            event = privacy.destroy_personal_data(
                person=person,
                user=request.user,
                today=today,
                **{name: form.cleaned_data[name] for name in ("reason", "act_number", "act_date")},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, DESTROYED.format(number=event.act_number, date=event.act_date))
            return redirect("registry:person-detail", person.pk)
    context = {
        "form": form,
        "person": person,
        "done": done,
        "title": "Уничтожить персональные данные",
        "cancel_url": reverse("registry:person-detail", args=[person.pk]),
    }
    return render(request, "registry/privacy/destroy_confirm.html", context)


urlpatterns = [
    path("mentors/", mentor_list, name="mentor-list"),
    path("mentees/", mentee_list, name="mentee-list"),
    path("people/new/", person_create, name="person-create"),
    path("people/<uuid:pk>/", person_detail, name="person-detail"),
    path("people/<uuid:pk>/edit/", person_edit, name="person-edit"),
    path("people/<uuid:pk>/archive/", person_archive, name="person-archive"),
    path("people/<uuid:pk>/export.xlsx", person_export, name="person-export"),
    path("people/<uuid:pk>/destroy/", person_destroy, name="person-destroy"),
]
