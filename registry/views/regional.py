"""The operator's regional registries: practices, contests, courses, regional methodists.

Who may do what (docs/architecture.md §7): everybody signed in reads through ``access.scoped`` (a
coordinator sees its municipality's rows, a curator its school's); a curator submits its
school's practices; the operator of the region and the admin review and publish practices
and write contests, courses and the methodists' registry. Out-of-scope objects answer 404,
writes by a read-only role 403. Published practices also appear on a public page without
login, and without personal data.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from common.downloads import shorten_file_name
from registry import access
from registry import regional as services
from registry.export_jobs import xlsx_response
from registry.forms import regional as forms
from registry.models import (
    Contest,
    ContestEntry,
    MethodistRegistryEntry,
    PracticeBankEntry,
    TrainingCompletion,
    TrainingCourse,
    UserScope,
)

Role = UserScope.Role
PAGE_SIZE = 50
CONTENT_TYPES = {
    services.PDF: "application/pdf",
    services.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    services.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    services.JPG: "image/jpeg",
    services.PNG: "image/png",
}


# ---------------------------------------------------------------- helpers


def _own_region(user):
    """The region a new contest or course belongs to: the operator's; an admin chooses one (None)."""
    scope = access.user_scope(user)
    return scope.region if scope is not None and scope.role == Role.OPERATOR else None


def _scope_label(user) -> str | None:
    """What a narrower role sees, said on the page: «муниципалитет «Октябрьский район»»."""
    scope = access.user_scope(user)
    role = access.role_of(user)
    if role == Role.COORDINATOR:
        return f"муниципалитет «{scope.municipality.name}»"
    if role == Role.CURATOR:
        return f"организация «{scope.organization}»"
    return None


def _add_errors(form, exc: ValidationError) -> None:
    """A service's error onto the form: next to its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _download(field_file, *, filename: str, public: bool):
    kind = services.file_kind(stored_name=field_file.name)
    if kind not in CONTENT_TYPES:
        raise Http404("Файл не найден")
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Файл не найден") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=shorten_file_name(filename), content_type=CONTENT_TYPES[kind]
    )
    # Never cached by shared caches: a practice returned to review must stop being served at once.
    response["Cache-Control"] = "no-cache" if public else "private, no-store"
    return response


# ---------------------------------------------------------------- the bank of effective practices


def _practices(user):
    return access.scoped(
        user,
        PracticeBankEntry.objects.select_related("organization__municipality", "mentoring_form"),
    ).order_by("-submitted_on", "-pk")


@login_required
def practice_list(request):
    filterset = forms.PracticeFilter(request.GET, queryset=_practices(request.user), request=request)
    if _wants_xlsx(request):
        return xlsx_response(
            filename="Банк эффективных практик.xlsx",
            title="Банк эффективных практик",
            columns=[
                "Наименование практики",
                "Организация",
                "Код ОО",
                "Муниципалитет",
                "Тип ОО",
                "Форма наставничества",
                "Статус",
                "Дата подачи",
                "Описание",
            ],
            rows=(
                [
                    p.title,
                    p.organization.full_name,
                    p.organization.code,
                    p.organization.municipality.name,
                    p.organization.get_org_type_display(),
                    p.mentoring_form.name,
                    p.get_status_display(),
                    p.submitted_on,
                    p.description,
                ]
                for p in filterset.qs
            ),
            user=request.user,
        )
    context = {
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "scope_label": _scope_label(request.user),
        "can_submit": access.can_write(request.user, PracticeBankEntry, access.SUBMIT),
    }
    return render(request, "registry/regional/practice_list.html", context)


@login_required
def practice_create(request):
    access.require_write(request.user, PracticeBankEntry, access.SUBMIT)
    organization = access.user_scope(request.user).organization  # the curator's own, never from the request
    form = forms.PracticeForm(
        request.POST or None, request.FILES or None, user=request.user, organization=organization
    )
    if request.method == "POST" and form.is_valid():
        try:
            practice = services.practice_submit(
                organization=organization, submitted_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Практика отправлена на рассмотрение региональному оператору.")
            return redirect("registry:practice-detail", practice.pk)
    return render(
        request,
        "registry/regional/practice_form.html",
        {"form": form, "organization": organization},
    )


@login_required
def practice_detail(request, pk):
    practice = access.get_scoped_or_404(
        request.user,
        PracticeBankEntry.objects.select_related(
            "organization__municipality",
            "mentoring_form",
            "mentorship__mentoring_form",
            "mentorship__mentor_person",
            "mentorship__mentor_organization",
            "submitted_by",
        ),
        pk=pk,
    )
    mentorship = practice.mentorship
    # Above the school people appear as names of adults only (docs/architecture.md §7).
    show_mentor = mentorship is not None and (
        access.role_of(request.user) == Role.CURATOR
        or mentorship.mentor_person is None
        or mentorship.mentor_person.category in services.ADULT_CATEGORIES
    )
    context = {
        "practice": practice,
        "show_mentor": show_mentor,
        "can_review": access.can_write(request.user, practice, access.REVIEW),
        "actions": [
            (action, label)
            for action, label in [
                ("include", "Включить в банк"),
                ("publish", "Опубликовать"),
                ("return", "Вернуть на рассмотрение"),
            ]
            if practice.status in services.REVIEW_ACTIONS[action][1]
        ],
    }
    return render(request, "registry/regional/practice_detail.html", context)


@login_required
@require_POST
def practice_review(request, pk):
    practice = access.get_writable_or_404(request.user, PracticeBankEntry, access.REVIEW, pk=pk)
    try:
        services.practice_review(practice=practice, action=request.POST.get("action", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Статус практики: «{practice.get_status_display()}».")
    return redirect("registry:practice-detail", practice.pk)


@login_required
def practice_file(request, pk):
    practice = access.get_scoped_or_404(request.user, PracticeBankEntry.objects.all(), pk=pk)
    if not practice.file:
        raise Http404("Файл не найден")
    return _download(practice.file, filename=services.practice_download_name(practice=practice), public=False)


def _published():
    return PracticeBankEntry.objects.filter(status=PracticeBankEntry.Status.PUBLISHED)


def practice_public_list(request):
    """The public bank: published practices, no login, no personal data (no people at all)."""
    practices = (
        _published()
        .select_related("organization__municipality", "mentoring_form")
        .order_by("-submitted_on", "-pk")
    )
    filterset = forms.PublicPracticeFilter(request.GET, queryset=practices, request=request)
    return render(
        request,
        "registry/regional/practice_public_list.html",
        {"filter": filterset, "page": _page(request, filterset.qs)},
    )


def practice_public_file(request, pk):
    practice = get_object_or_404(_published().exclude(file=""), pk=pk)
    return _download(practice.file, filename=services.practice_download_name(practice=practice), public=True)


# ---------------------------------------------------------------- contests


def _visible_entry_count(user):
    entries = access.scoped(user, ContestEntry.objects.filter(contest=OuterRef("pk")))
    return Coalesce(Subquery(entries.order_by().values("contest").annotate(n=Count("pk")).values("n")), 0)


@login_required
def contest_list(request):
    contests = (
        access.scoped(request.user, Contest.objects.select_related("region"))
        .annotate(n_entries=_visible_entry_count(request.user))
        .order_by("-start_date", "-pk")
    )
    filterset = forms.ContestFilter(request.GET, queryset=contests, request=request)
    if _wants_xlsx(request):
        return xlsx_response(
            filename="Конкурсы.xlsx",
            title="Конкурсы",
            columns=["Наименование", "Уровень", "Начало", "Окончание", "Участников", "Номинации"],
            rows=(
                [c.title, c.get_level_display(), c.start_date, c.end_date, c.n_entries, c.nominations]
                for c in filterset.qs
            ),
            user=request.user,
        )
    context = {
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "scope_label": _scope_label(request.user),
        "can_write": access.can_write(request.user, Contest),
    }
    return render(request, "registry/regional/contest_list.html", context)


@login_required
def contest_detail(request, pk):
    contest = access.get_scoped_or_404(request.user, Contest.objects.select_related("region"), pk=pk)
    visible = access.scoped(request.user, ContestEntry.objects.filter(contest=contest))
    filterset = forms.ContestEntryFilter(
        request.GET,
        queryset=visible.select_related("organization__municipality").order_by(
            "organization__municipality__name", "organization__full_name", "pk"
        ),
        request=request,
    )
    if _wants_xlsx(request):
        return xlsx_response(
            filename="Участники конкурса.xlsx",
            title=f"Участники конкурса «{contest.title}»",
            columns=[
                "Организация",
                "Код ОО",
                "Тип ОО",
                "Муниципалитет",
                "Участник",
                "Номинация",
                "Результат",
            ],
            rows=(
                [
                    e.organization.full_name,
                    e.organization.code,
                    e.organization.get_org_type_display(),
                    e.organization.municipality.name,
                    e.title,
                    e.nomination,
                    e.get_result_display(),
                ]
                for e in filterset.qs
            ),
            user=request.user,
        )
    context = {
        "contest": contest,
        "filter": filterset,
        "page": _page(request, filterset.qs),
        # Counted over every entry the user may see, whatever the filter: the contest's figure.
        "counts": services.entry_counts_by_org_type(entries=visible),
        "scope_label": _scope_label(request.user),
        "can_write": access.can_write(request.user, contest),
    }
    return render(request, "registry/regional/contest_detail.html", context)


def _region_record_form(request, record, *, form_class, save, created: bool, words: dict):
    """Create or edit a region-wide record (a contest, a course): the region comes from the scope,
    or, for an admin, from a scoped choice."""
    form = form_class(
        request.POST or None, instance=record, user=request.user, choose_region=record.region_id is None
    )
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        if "region" in form.cleaned_data:
            record.region = form.cleaned_data["region"]
        try:
            save(record)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, words["created"] if created else words["saved"])
            return redirect(words["detail"], record.pk)
    title = words["new"] if created else words["title"].format(title=record.title)
    return render(
        request, "registry/regional/form.html", {"form": form, "title": title, "back": words["back"]}
    )


CONTEST_WORDS = {
    "created": "Конкурс создан.",
    "saved": "Конкурс сохранён.",
    "detail": "registry:contest-detail",
    "new": "Новый конкурс",
    "title": "Конкурс «{title}»",
    "back": "contest",
}
COURSE_WORDS = {
    "created": "Курс создан.",
    "saved": "Курс сохранён.",
    "detail": "registry:course-detail",
    "new": "Новый курс повышения квалификации",
    "title": "Курс «{title}»",
    "back": "course",
}


def _contest_form(request, contest: Contest, *, created: bool):
    return _region_record_form(
        request,
        contest,
        form_class=forms.ContestForm,
        save=lambda record: services.contest_save(contest=record),
        created=created,
        words=CONTEST_WORDS,
    )


@login_required
def contest_create(request):
    access.require_write(request.user, Contest)
    return _contest_form(request, Contest(region=_own_region(request.user)), created=True)


@login_required
def contest_edit(request, pk):
    contest = access.get_writable_or_404(request.user, Contest, pk=pk)
    return _contest_form(request, contest, created=False)


def _entry_form(request, contest: Contest, entry: ContestEntry):
    created = entry.pk is None
    form = forms.ContestEntryForm(request.POST or None, instance=entry, user=request.user, contest=contest)
    if request.method == "POST" and form.is_valid():
        try:
            services.contest_entry_save(entry=form.save(commit=False))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Участник добавлен." if created else "Участник сохранён.")
            return redirect("registry:contest-detail", contest.pk)
    title = f"{'Новый участник' if created else 'Участник'} конкурса «{contest.title}»"
    return render(request, "registry/regional/form.html", {"form": form, "title": title, "contest": contest})


@login_required
def contest_entry_create(request, pk):
    contest = access.get_writable_or_404(request.user, Contest.objects.select_related("region"), pk=pk)
    return _entry_form(request, contest, ContestEntry(contest=contest))


@login_required
def contest_entry_edit(request, pk, entry_pk):
    contest = access.get_scoped_or_404(request.user, Contest.objects.select_related("region"), pk=pk)
    entry = access.get_writable_or_404(
        request.user,
        ContestEntry.objects.filter(contest=contest).select_related("contest", "organization__municipality"),
        pk=entry_pk,
    )
    return _entry_form(request, contest, entry)


# ---------------------------------------------------------------- training courses


@login_required
def course_list(request):
    visible = access.scoped(request.user, TrainingCompletion.objects.filter(course=OuterRef("pk")))
    courses = (
        access.scoped(request.user, TrainingCourse.objects.all())
        .annotate(
            n_named=Coalesce(
                Subquery(visible.order_by().values("course").annotate(n=Count("pk")).values("n")), 0
            ),
            any_named=Exists(TrainingCompletion.objects.filter(course=OuterRef("pk"))),
        )
        .order_by("-start_date", "-pk")
    )
    filterset = forms.CourseFilter(request.GET, queryset=courses, request=request)

    def trained(course):
        return services.course_trained(
            named=course.n_named, any_named=course.any_named, reported=course.reported_trained_count
        )

    if _wants_xlsx(request):
        return xlsx_response(
            filename="Курсы повышения квалификации.xlsx",
            title="Курсы повышения квалификации",
            columns=[
                "Наименование",
                "Кто проводит",
                "Часов",
                "Начало",
                "Окончание",
                "Сроки",
                "Обучено",
                "Источник",
            ],
            rows=(
                [
                    c.title,
                    c.provider,
                    c.hours,
                    c.start_date,
                    c.end_date,
                    c.schedule,
                    trained(c).count,
                    "по отчёту провайдера" if trained(c).by_report else "поимённо",
                ]
                for c in filterset.qs
            ),
            user=request.user,
        )
    page = _page(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "rows": [(course, trained(course)) for course in page],
        "scope_label": _scope_label(request.user),
        "can_write": access.can_write(request.user, TrainingCourse),
    }
    return render(request, "registry/regional/course_list.html", context)


@login_required
def course_detail(request, pk):
    course = access.get_scoped_or_404(request.user, TrainingCourse.objects.all(), pk=pk)
    visible = access.scoped(
        request.user,
        TrainingCompletion.objects.filter(course=course).select_related("person__organization__municipality"),
    ).order_by("person__full_name", "pk")
    filterset = forms.CompletionFilter(request.GET, queryset=visible, request=request)
    if _wants_xlsx(request):
        return xlsx_response(
            filename="Прошли обучение.xlsx",
            title=f"Прошли курс «{course.title}»",
            columns=[
                "ФИО",
                "Организация",
                "Код ОО",
                "Муниципалитет",
                "Дата окончания",
                "Номер удостоверения",
            ],
            rows=(
                [
                    c.person.full_name,
                    c.person.organization.full_name,
                    c.person.organization.code,
                    c.person.organization.municipality.name,
                    c.completed_on,
                    c.certificate_number,
                ]
                for c in filterset.qs
            ),
            user=request.user,
        )
    page = _page(request, filterset.qs)
    trained = services.course_trained(
        named=visible.count(),
        any_named=course.completions.exists(),
        reported=course.reported_trained_count,
    )
    context = {
        "course": course,
        "filter": filterset,
        "page": page,
        "trained": trained,
        "scope_label": _scope_label(request.user),
        "can_write": access.can_write(request.user, course),
    }
    return render(request, "registry/regional/course_detail.html", context)


def _course_form(request, course: TrainingCourse, *, created: bool):
    return _region_record_form(
        request,
        course,
        form_class=forms.CourseForm,
        save=lambda record: services.course_save(course=record),
        created=created,
        words=COURSE_WORDS,
    )


@login_required
def course_create(request):
    access.require_write(request.user, TrainingCourse)
    return _course_form(request, TrainingCourse(region=_own_region(request.user)), created=True)


@login_required
def course_edit(request, pk):
    course = access.get_writable_or_404(request.user, TrainingCourse, pk=pk)
    return _course_form(request, course, created=False)


@login_required
def course_completion_add(request, pk):
    course = access.get_writable_or_404(request.user, TrainingCourse, pk=pk)
    form = forms.CompletionForm(request.POST or None, user=request.user, course=course)
    query = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    if request.method == "POST" and form.is_valid():
        try:
            created = services.course_add_completions(
                course=course,
                people=list(form.cleaned_data["people"]),
                completed_on=form.cleaned_data["completed_on"],
                certificate_number=form.cleaned_data["certificate_number"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Добавлено слушателей: {len(created)}.")
            return redirect("registry:course-detail", course.pk)
    context = {
        "course": course,
        "form": form,
        "query": query,
        "candidates": forms.search_people(form.fields["people"].queryset, query),
        "selected": request.POST.getlist("people"),
        "search_limit": forms.SEARCH_LIMIT,
    }
    return render(request, "registry/regional/course_completion_form.html", context)


# ---------------------------------------------------------------- regional methodists


@login_required
def methodist_list(request):
    entries = access.scoped(
        request.user,
        MethodistRegistryEntry.objects.select_related("person__organization__municipality"),
    ).order_by("person__full_name", "pk")
    filterset = forms.MethodistFilter(request.GET, queryset=entries, request=request)
    if _wants_xlsx(request):
        return xlsx_response(
            filename="Реестр региональных методистов.xlsx",
            title="Реестр региональных методистов",
            columns=[
                "ФИО",
                "Организация",
                "Код ОО",
                "Муниципалитет",
                "Специализация",
                "Статус",
                "Договор ГПХ с",
                "Договор ГПХ по",
            ],
            rows=(
                [
                    e.person.full_name,
                    e.person.organization.full_name,
                    e.person.organization.code,
                    e.person.organization.municipality.name,
                    e.specialization,
                    e.get_status_display(),
                    e.contract_start,
                    e.contract_end,
                ]
                for e in filterset.qs
            ),
            user=request.user,
        )
    context = {
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "scope_label": _scope_label(request.user),
        "can_write": access.can_write(request.user, MethodistRegistryEntry),
    }
    return render(request, "registry/regional/methodist_list.html", context)


def _methodist_form(request, entry: MethodistRegistryEntry):
    created = entry.pk is None
    region = _own_region(request.user)
    form = forms.MethodistForm(
        request.POST or None,
        instance=entry,
        user=request.user,
        region_id=region.pk if region else None,
    )
    query = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        if created:
            # The person's own region: an admin's choice list spans regions, an operator's one.
            entry.region_id = entry.person.organization.municipality.region_id
        try:
            services.methodist_save(entry=entry)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Запись реестра методистов сохранена.")
            return redirect("registry:methodist-list")
    context = {
        "form": form,
        "entry": entry,
        "query": query,
        "candidates": forms.search_people(form.fields["person"].queryset, query) if created else [],
        "selected": request.POST.get("person", ""),
        "search_limit": forms.SEARCH_LIMIT,
    }
    return render(request, "registry/regional/methodist_form.html", context)


@login_required
def methodist_create(request):
    access.require_write(request.user, MethodistRegistryEntry)
    return _methodist_form(request, MethodistRegistryEntry())


@login_required
def methodist_edit(request, pk):
    entry = access.get_scoped_or_404(
        request.user, MethodistRegistryEntry.objects.select_related("person__organization"), pk=pk
    )
    access.require_write(request.user, entry)
    return _methodist_form(request, entry)


urlpatterns = [
    path("practices/", practice_list, name="practice-list"),
    path("practices/new/", practice_create, name="practice-create"),
    path("practices/public/", practice_public_list, name="practice-public-list"),
    path("practices/public/<int:pk>/file/", practice_public_file, name="practice-public-file"),
    path("practices/<int:pk>/", practice_detail, name="practice-detail"),
    path("practices/<int:pk>/review/", practice_review, name="practice-review"),
    path("practices/<int:pk>/file/", practice_file, name="practice-file"),
    path("contests/", contest_list, name="contest-list"),
    path("contests/new/", contest_create, name="contest-create"),
    path("contests/<int:pk>/", contest_detail, name="contest-detail"),
    path("contests/<int:pk>/edit/", contest_edit, name="contest-edit"),
    path("contests/<int:pk>/entries/new/", contest_entry_create, name="contest-entry-create"),
    path("contests/<int:pk>/entries/<int:entry_pk>/edit/", contest_entry_edit, name="contest-entry-edit"),
    path("courses/", course_list, name="course-list"),
    path("courses/new/", course_create, name="course-create"),
    path("courses/<int:pk>/", course_detail, name="course-detail"),
    path("courses/<int:pk>/edit/", course_edit, name="course-edit"),
    path("courses/<int:pk>/completions/new/", course_completion_add, name="course-completion-add"),
    path("methodists/", methodist_list, name="methodist-list"),
    path("methodists/new/", methodist_create, name="methodist-create"),
    path("methodists/<int:pk>/edit/", methodist_edit, name="methodist-edit"),
]
