"""The region's questionnaires kept in the portal by its operator (docs/domain.md §7): the writes.

A questionnaire (``Questionnaire``) has a title, an audience (mentors or mentees), the anonymous
flag and its questions (``Question``): a 1–5 scale, a choice among given options, or free text;
one scale question may be the satisfaction question that F5 and F6 count (4 or 5 = «удовлетворён»).

**A questionnaire in use is frozen.** Once a round of it has answers, or is open (links are out and
participants may be filling in the form), its questions, audience and anonymous flag cannot change:
the results of a round read the answers by question (a choice's answer is the number of its option,
the satisfaction question feeds F5/F6 of every campaign over the period), and an anonymous
questionnaire's responses were stored without the person. Such a change is refused with
``QUESTIONNAIRE_FROZEN`` and nothing written; ``questionnaire_copy`` makes a new version to change.
The title and the introductory text stay editable.

Who: the region's operator and the admin (``access.can_write`` on the questionnaire; the rule is in
``monitoring.rights``); a questionnaire outside the user's scope raises ``Http404``. Every write
goes through ``save()`` so that simple-history keeps it, with the user.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from registry import access

from .models import Question, Questionnaire, SurveyResponse, SurveyRound

QUESTIONNAIRE_FROZEN = (
    "Анкета уже используется в опросе{reason}: вопросы, круг опрашиваемых и анонимность менять нельзя. "
    "Нажмите «Копировать», чтобы сделать новую версию анкеты."
)
FROZEN_ANSWERED = ", на который получены ответы"
FROZEN_OPEN = ", который сейчас идёт"
ONE_SATISFACTION = "В анкете может быть только один вопрос об удовлетворённости."
SATISFACTION_IS_SCALE = "Вопрос об удовлетворённости — оценка от 1 до 5."
NO_QUESTIONS = "В анкете должен быть хотя бы один вопрос."
QUESTION_FIELDS = ("text", "kind", "choices", "required", "counts_satisfaction")


def _require_visible(user, questionnaire: Questionnaire) -> None:
    if (
        questionnaire.pk is not None
        and not access.scoped(user, Questionnaire.objects.filter(pk=questionnaire.pk)).exists()
    ):
        raise Http404("Анкета не найдена")


def _require_write(user, questionnaire: Questionnaire) -> None:
    _require_visible(user, questionnaire)
    if not access.can_write(user, questionnaire):
        raise PermissionDenied(access.write_rule(questionnaire).refusal)


def _save(obj, user) -> None:
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj.save()


def questionnaire_frozen(*, questionnaire: Questionnaire) -> str:
    """Why the questions cannot change («…используется в опросе, на который получены ответы…»), or ""."""
    if questionnaire.pk is None:
        return ""
    if SurveyResponse.objects.filter(round__questionnaire=questionnaire).exists():
        return QUESTIONNAIRE_FROZEN.format(reason=FROZEN_ANSWERED)
    if SurveyRound.objects.filter(questionnaire=questionnaire, status=SurveyRound.Status.OPEN).exists():
        return QUESTIONNAIRE_FROZEN.format(reason=FROZEN_OPEN)
    return ""


def questionnaire_save(*, user, questionnaire: Questionnaire) -> Questionnaire:
    """Create or change a questionnaire's title, audience, anonymous flag and introductory text.

    An unsaved one belongs to the region set on it (the operator's own; the admin chooses)."""
    _require_write(user, questionnaire)
    with transaction.atomic():
        if questionnaire.pk is not None:
            stored = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
            if stored.region_id != questionnaire.region_id:
                raise ValidationError({"region": "Регион анкеты не меняется."})
            changed = [
                name
                for name in ("audience", "anonymous")
                if getattr(stored, name) != getattr(questionnaire, name)
            ]
            frozen = questionnaire_frozen(questionnaire=stored) if changed else ""
            if frozen:
                raise ValidationError(dict.fromkeys(changed, frozen))
            if all(
                getattr(stored, name) == getattr(questionnaire, name)
                for name in ("title", "audience", "anonymous", "description")
            ):
                return stored
        questionnaire.title = " ".join(questionnaire.title.split())
        questionnaire.full_clean()
        _save(questionnaire, user)
    return questionnaire


def _check_questions(rows: list[dict]) -> list[Question]:
    """The questions as ``questions_save`` would store them, or ``ValidationError`` naming the question
    and its field («Вопрос 2, варианты ответа: …»)."""
    if not rows:
        raise ValidationError({"questions": NO_QUESTIONS})
    errors = []
    built = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - {"pk", *QUESTION_FIELDS}
        if unknown:
            raise TypeError(f"questions_save() got unexpected fields: {sorted(unknown)}")
        question = Question(order=number, **{name: row[name] for name in QUESTION_FIELDS if name in row})
        question.pk = row.get("pk")
        try:
            question.full_clean(exclude=["questionnaire"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                label = Question._meta.get_field(field).verbose_name if field != "__all__" else ""
                for message in messages:
                    errors.append(f"Вопрос {number}{', ' + label if label else ''}: {message}")
        if question.counts_satisfaction and question.kind != Question.Kind.SCALE:
            errors.append(f"Вопрос {number}, вопрос об удовлетворённости: {SATISFACTION_IS_SCALE}")
        built.append(question)
    if sum(q.counts_satisfaction for q in built) > 1:
        errors.append(ONE_SATISFACTION)
    if errors:
        raise ValidationError({"questions": errors})
    return built


def questions_save(*, user, questionnaire: Questionnaire, questions: list[dict]) -> list[Question]:
    """Replace the questionnaire's questions by ``questions``, in their order: a row with ``pk`` changes
    that question (only if something differs), one without adds a question, a question not listed is
    deleted. Refused, with nothing written, while the questionnaire is frozen (see the module)."""
    _require_write(user, questionnaire)
    built = _check_questions(questions)
    with transaction.atomic():
        Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        frozen = questionnaire_frozen(questionnaire=questionnaire)
        if frozen:
            raise ValidationError({"questions": frozen})
        stored = {q.pk: q for q in questionnaire.questions.all()}
        keep = {q.pk for q in built if q.pk is not None}
        if keep - set(stored):
            raise ValidationError({"questions": "Вопрос не относится к этой анкете."})
        for pk in set(stored) - keep:
            stored[pk]._history_user = user
            stored[pk].delete()
        # The satisfaction flag is unique in a questionnaire: take it off before giving it elsewhere.
        for question in built:
            old = stored.get(question.pk)
            if old is not None and old.counts_satisfaction and not question.counts_satisfaction:
                old.counts_satisfaction = False
                _save(old, user)
        result = []
        for question in built:
            question.questionnaire = questionnaire
            old = stored.get(question.pk)
            if old is not None and all(
                getattr(old, name) == getattr(question, name) for name in ("order", *QUESTION_FIELDS)
            ):
                result.append(old)
                continue
            if old is None:
                question.pk = None
            _save(question, user)
            result.append(question)
    return result


def _copy_title(questionnaire: Questionnaire) -> str:
    taken = set(
        Questionnaire.objects.filter(
            region=questionnaire.region_id, audience=questionnaire.audience
        ).values_list("title", flat=True)
    )
    base = f"{questionnaire.title} (копия)"
    title, number = base, 2
    while title in taken:
        title = f"{questionnaire.title} (копия {number})"
        number += 1
    return title[:500]


def questionnaire_copy(*, user, questionnaire: Questionnaire) -> Questionnaire:
    """«Копировать»: a new questionnaire of the same region with the same questions, free to change."""
    _require_write(user, questionnaire)
    with transaction.atomic():
        copy = Questionnaire(
            region_id=questionnaire.region_id,
            title=_copy_title(questionnaire),
            audience=questionnaire.audience,
            anonymous=questionnaire.anonymous,
            description=questionnaire.description,
        )
        _save(copy, user)
        for question in questionnaire.questions.all():
            _save(
                Question(
                    questionnaire=copy,
                    order=question.order,
                    **{name: getattr(question, name) for name in QUESTION_FIELDS},
                ),
                user,
            )
    return copy
