"""«Опросы участников»: thin screens over ``monitoring.surveys`` (docs/domain.md §7).

Signed-in pages: the region's questionnaires (read by every role of the region; created, edited,
their questions changed and copied by its operator through ``monitoring.questionnaires``), the
survey rounds (list, create, open and close), a round's page (response rate and results by
municipality and in all, by school for one municipality, within the user's scope: 404 outside
it) and the printable page of a school's personal links for its curator (names and links with
their QR codes as inline SVG; the tokens are derived again, never stored).

The public page ``/survey/<token>/`` needs no account: it shows the questionnaire and stores the
answers; a bad link answers a Russian 404 or 410. The access log records pages by their URL name
and drops the ``token`` argument (``mentoring_portal.audit``), so no token reaches it; the page
answers ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``.
"""

import dataclasses

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from common import tables
from monitoring import forms, rights
from monitoring import questionnaires as questionnaire_svc
from monitoring import surveys as svc
from monitoring.models import Question, Questionnaire, SurveyRound
from registry import access
from registry.models import Municipality

PAGE_SIZE = 50
ROUND_COLUMNS = [  # common/tables.py; the territory is not sortable
    tables.Column("title", "Опрос", ("title",)),
    tables.Column("questionnaire", "Анкета", ("questionnaire__title",)),
    tables.Column("period", "Период", ("period_start", "period_end")),
    tables.Column("status", "Статус", ("status",)),
]
TRANSITIONS = {
    "open": (svc.survey_round_open, "Опрос открыт: ссылки участников готовы к печати."),
    "close": (svc.survey_round_close, "Опрос завершён."),
}


def _rounds(user):
    return access.scoped(user, SurveyRound.objects.select_related("questionnaire", "region", "municipality"))


def _get_round(user, pk) -> SurveyRound:
    return access.get_scoped_or_404(user, _rounds(user), pk=pk)


def _can_run(user) -> bool:
    scope = access.user_scope(user)
    if access.is_admin(user):
        return True
    return scope is not None and access.can_write(user, SurveyRound(region_id=scope.region_id), rights.SURVEY)


# ---------------------------------------------------------------- signed-in pages


@login_required
def questionnaire_list(request):
    questionnaires = access.scoped(request.user, Questionnaire.objects.select_related("region"))
    page = Paginator(questionnaires.prefetch_related("questions"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "can_create": access.can_write(request.user, Questionnaire)}
    return render(request, "monitoring/surveys/questionnaire_list.html", context)


# ---------------------------------------------------------------- the operator's questionnaires


def _questionnaires(user):
    return access.scoped(user, Questionnaire.objects.select_related("region"))


@login_required
def questionnaire_detail(request, pk):
    """A questionnaire with its questions, for every reader of its region; its writers get the buttons."""
    questionnaire = access.get_scoped_or_404(request.user, _questionnaires(request.user), pk=pk)
    context = {
        "questionnaire": questionnaire,
        "questions": list(questionnaire.questions.all()),
        "rounds": list(questionnaire.rounds.order_by("-period_end", "-pk")),
        "can_write": access.can_write(request.user, questionnaire),
        "frozen": questionnaire_svc.questionnaire_frozen(questionnaire=questionnaire),
    }
    return render(request, "monitoring/surveys/questionnaire_detail.html", context)


def _questionnaire_form(request, questionnaire: Questionnaire):
    created = questionnaire.pk is None
    form = forms.QuestionnaireForm(
        request.POST or None,
        instance=questionnaire,
        user=request.user,
        choose_region=questionnaire.region_id is None,
    )
    if request.method == "POST" and form.is_valid():
        if "region" in form.cleaned_data:
            questionnaire.region = form.cleaned_data["region"]
        try:
            questionnaire_svc.questionnaire_save(user=request.user, questionnaire=form.instance)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if created:
                messages.success(request, "Анкета создана. Добавьте её вопросы.")
                return redirect("monitoring:questionnaire-questions", questionnaire.pk)
            messages.success(request, "Анкета сохранена.")
            return redirect("monitoring:questionnaire-detail", questionnaire.pk)
    context = {
        "form": form,
        "questionnaire": questionnaire,
        "title": "Новая анкета" if created else f"Анкета «{questionnaire.title}»",
    }
    return render(request, "monitoring/surveys/questionnaire_form.html", context)


@login_required
def questionnaire_create(request):
    access.require_write(request.user, Questionnaire)
    scope = access.user_scope(request.user)
    region = scope.region if scope is not None and scope.role == access.Role.OPERATOR else None
    return _questionnaire_form(request, Questionnaire(region=region))


@login_required
def questionnaire_edit(request, pk):
    questionnaire = access.get_writable_or_404(request.user, _questionnaires(request.user), pk=pk)
    return _questionnaire_form(request, questionnaire)


def _question_initial(questionnaire: Questionnaire) -> list[dict]:
    return [
        {
            "pk": q.pk,
            "order": number,
            "text": q.text,
            "kind": q.kind,
            "choices": "\n".join(q.choices or []),
            "required": q.required,
            "counts_satisfaction": q.counts_satisfaction,
        }
        for number, q in enumerate(questionnaire.questions.all(), start=1)
    ]


@login_required
def questionnaire_questions(request, pk):
    """The questions: add, change, reorder (the «Порядок» numbers), delete; refused while frozen."""
    questionnaire = access.get_writable_or_404(request.user, _questionnaires(request.user), pk=pk)
    post = request.POST if request.method == "POST" else None
    formset = forms.QuestionFormSet(post, initial=_question_initial(questionnaire), prefix="questions")
    frozen = questionnaire_svc.questionnaire_frozen(questionnaire=questionnaire)
    if post is not None and formset.is_valid():
        filled = [
            (f.cleaned_data["order"], index, f.row())
            for index, f in enumerate(formset.forms)
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        rows = [row for _, _, row in sorted(filled, key=lambda item: item[:2])]
        try:
            questionnaire_svc.questions_save(user=request.user, questionnaire=questionnaire, questions=rows)
        except ValidationError as error:
            formset._non_form_errors.extend(error.messages)
        else:
            messages.success(request, "Вопросы анкеты сохранены.")
            return redirect("monitoring:questionnaire-detail", questionnaire.pk)
    context = {"questionnaire": questionnaire, "formset": formset, "frozen": frozen}
    return render(request, "monitoring/surveys/questionnaire_questions.html", context)


@login_required
@require_POST
def questionnaire_copy(request, pk):
    """«Копировать»: a new version of the questionnaire, free to change."""
    questionnaire = access.get_writable_or_404(request.user, _questionnaires(request.user), pk=pk)
    copy = questionnaire_svc.questionnaire_copy(user=request.user, questionnaire=questionnaire)
    messages.success(request, f"Создана копия анкеты: «{copy.title}». Её вопросы можно менять.")
    return redirect("monitoring:questionnaire-detail", copy.pk)


@login_required
def round_list(request):
    rounds = _rounds(request.user).order_by("-period_end", "-pk")
    table = tables.sorted_page(
        request=request,
        queryset=rounds,
        columns=ROUND_COLUMNS,
        page_size=PAGE_SIZE,
        list_name="monitoring:survey-round-list",
    )
    context = {"page": table.page, "table": table, "can_create": _can_run(request.user)}
    return render(request, "monitoring/surveys/round_list.html", context)


@login_required
def round_create(request):
    user = request.user
    if not _can_run(user):
        raise PermissionDenied(access.write_rule(SurveyRound, rights.SURVEY).refusal)
    form = forms.SurveyRoundForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey_round = svc.survey_round_create(user=user, **data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Опрос создан. Откройте его, когда участники готовы получить ссылки.")
            return redirect("monitoring:survey-round-detail", survey_round.pk)
    return render(request, "monitoring/surveys/round_form.html", {"form": form})


def _result_cells(group: svc.ResultGroup, columns: int) -> str:
    """The question cells of one row of the results table, as HTML: built here once per row rather
    than by a template include per row (a region has hundreds of schools; bench/README.md)."""
    if group.hidden:
        return format_html(
            '<td colspan="{}" class="muted">Меньше {} ответов: результаты не показываются, '
            "чтобы сохранить анонимность</td>",
            columns,
            svc.MIN_ANONYMOUS_GROUP,
        )
    cells = []
    for r in group.cells:
        if r.question.kind == Question.Kind.SCALE:  # figures only: nothing to escape
            text = f"{r.average}; 4–5: {r.satisfied_share}"
        else:  # the options are the questionnaire author's text
            text = "; ".join(f"{escape(option)}: {n}" for option, n in r.choice_lines)
        cells.append(f'<td data-question="{r.question.pk}">{text}</td>')
    return mark_safe("\n".join(cells))  # noqa: S308 (the only text, the options, is escaped)


@login_required
def round_detail(request, pk):
    """The round, its rate and results: the municipalities and the total; the schools of one
    municipality (``?municipality=CODE``, or the only one in the user's scope)."""
    user = request.user
    survey_round = _get_round(user, pk)
    drilled = None
    code = request.GET.get("municipality", "").strip()
    if code:
        if "\x00" in code or len(code) > Municipality._meta.get_field("code").max_length:
            raise Http404("Муниципалитет не найден")  # no such code (and no NUL for PostgreSQL)
        drilled = access.scoped(
            user, Municipality.objects.filter(region=survey_round.region_id, code=code)
        ).first()
        if drilled is None:
            raise Http404("Муниципалитет не найден")
    results = svc.survey_round_results(
        user=user, survey_round=survey_round, municipality=drilled.pk if drilled else None
    )
    for group in [*results["schools"], *results["municipalities"], results["total"]]:
        group.cells_html = _result_cells(group, len(results["questions"]))
    context = {
        "round": survey_round,
        "rate": svc.survey_round_rate(user=user, survey_round=survey_round),
        "results": results,
        "drilled": drilled,
        "can_run": access.can_write(user, survey_round, rights.SURVEY),
        "can_print": access.role_of(user) in (access.Role.CURATOR, access.Role.ADMIN)
        and survey_round.status == SurveyRound.Status.OPEN,
    }
    return render(request, "monitoring/surveys/round_detail.html", context)


@login_required
@require_POST
def round_transition(request, pk):
    user = request.user
    survey_round = _get_round(user, pk)
    action = request.POST.get("action", "")
    if action not in TRANSITIONS:
        raise Http404("Нет такого действия")
    access.require_write(user, survey_round, rights.SURVEY)
    service, done = TRANSITIONS[action]
    try:
        service(user=user, survey_round=survey_round)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("monitoring:survey-round-detail", survey_round.pk)


@dataclasses.dataclass
class LinkLine:
    name: str
    organization: str
    role: str
    url: str | None
    qr: str  # inline SVG made by segno from the URL only
    answered: bool


def _qr(url: str) -> str:
    # segno writes the SVG from the URL's characters alone (a path of black modules, no text, no
    # style attribute): nothing typed by a user reaches it, and the CSP holds (no inline style).
    return mark_safe(
        segno.make(url, error="m").svg_inline(scale=2, omitsize=True, svgclass="qr", lineclass=None)
    )


@login_required
def round_links(request, pk):
    """The printable page of personal links: the school's curator (names of its own people) and the
    admin; any other reader 403, out of scope 404."""
    user = request.user
    survey_round = _get_round(user, pk)
    if access.role_of(user) not in (access.Role.CURATOR, access.Role.ADMIN):
        raise PermissionDenied("Ссылки участников печатает куратор ОО.")
    lines = []
    if survey_round.status == SurveyRound.Status.OPEN:
        for invitation, token in svc.invitation_links(user=user, survey_round=survey_round):
            url = request.build_absolute_uri(reverse("survey:answer", args=[token])) if token else None
            lines.append(
                LinkLine(
                    name=invitation.person.full_name
                    if invitation.person
                    else "Участник (сведения уничтожены)",
                    organization=invitation.organization.short_name or invitation.organization.full_name,
                    role=invitation.get_role_display(),
                    url=url,
                    qr=_qr(url) if url else "",
                    answered=invitation.answered_on is not None,
                )
            )
    response = render(request, "monitoring/surveys/round_links.html", {"round": survey_round, "lines": lines})
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("surveys/", round_list, name="survey-round-list"),
    path("surveys/new/", round_create, name="survey-round-create"),
    path("surveys/questionnaires/", questionnaire_list, name="questionnaire-list"),
    path("surveys/questionnaires/new/", questionnaire_create, name="questionnaire-create"),
    path("surveys/questionnaires/<int:pk>/", questionnaire_detail, name="questionnaire-detail"),
    path("surveys/questionnaires/<int:pk>/edit/", questionnaire_edit, name="questionnaire-edit"),
    path(
        "surveys/questionnaires/<int:pk>/questions/", questionnaire_questions, name="questionnaire-questions"
    ),
    path("surveys/questionnaires/<int:pk>/copy/", questionnaire_copy, name="questionnaire-copy"),
    path("surveys/<int:pk>/", round_detail, name="survey-round-detail"),
    path("surveys/<int:pk>/status/", round_transition, name="survey-round-transition"),
    path("surveys/<int:pk>/links/", round_links, name="survey-round-links"),
]


# ---------------------------------------------------------------- the public page


@dataclasses.dataclass
class AnswerLine:
    question: Question
    name: str
    options: list  # (value, label, checked)
    text: str
    error: str


def _lines(questions, given: dict, errors: dict) -> list[AnswerLine]:
    lines = []
    for q in questions:
        key = str(q.pk)
        value = given.get(key, "")
        if q.kind == Question.Kind.SCALE:
            labels = [(str(v), str(v)) for v in range(Question.SCALE_MIN, Question.SCALE_MAX + 1)]
        elif q.kind == Question.Kind.CHOICE:
            labels = [(str(i), option) for i, option in enumerate(q.choices, start=1)]
        else:
            labels = []
        options = [(v, label, v == value) for v, label in labels]
        lines.append(AnswerLine(q, f"q{q.pk}", options, value if not labels else "", errors.get(key, "")))
    return lines


def _private(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    # Django logs every 4xx with its path («Not Found: /survey/<token>/»): the path holds the token,
    # so the refusal is marked as logged already; the access log records the URL name only.
    response._has_been_logged = True
    return response


def _refused(request, refused: svc.SurveyLinkRefused):
    title = "Ссылка не найдена" if refused.status == 404 else "Ссылка больше не действует"
    context = {"title": title, "message": refused.message}
    return _private(render(request, "monitoring/surveys/refused.html", context, status=refused.status))


@require_http_methods(["GET", "HEAD", "POST"])
def answer(request, token):
    """The questionnaire of a personal link; no account. POST stores the answers, all or nothing."""
    try:
        invitation = svc.invitation_for_token(token=token)
    except svc.SurveyLinkRefused as refused:
        return _refused(request, refused)
    survey_round = invitation.round
    questions = list(survey_round.questionnaire.questions.all())
    given, errors = {}, {}
    if request.method == "POST":
        given = {str(q.pk): request.POST.get(f"q{q.pk}", "") for q in questions}
        shown = request.POST.get("round", "")
        shown_round = SurveyRound(pk=int(shown) if shown.isdigit() else 0)
        try:
            svc.survey_answer(token=token, answers=given, survey_round=shown_round)
        except svc.SurveyLinkRefused as refused:
            return _refused(request, refused)
        except ValidationError as error:
            errors = {key: " ".join(value) for key, value in error.message_dict.items()}
        else:
            return _private(redirect("survey:thanks"))
    context = {
        "round": survey_round,
        "questionnaire": survey_round.questionnaire,
        "lines": _lines(questions, given, errors),
        "has_errors": bool(errors),
    }
    return _private(render(request, "monitoring/surveys/answer.html", context))


def thanks(request):
    return _private(render(request, "monitoring/surveys/thanks.html"))


public_urlpatterns = [
    path("thanks/", thanks, name="thanks"),
    path("<str:token>/", answer, name="answer"),
]
