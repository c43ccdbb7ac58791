"""Match suggestions: the mentors offered for a mentee, ranked by a score the screen explains.

The scoring is pure: it reads the candidates the caller gives it (already scoped, the same
queryset the pair form's mentor field offers) in one query, annotated with their load, and
writes nothing; nothing is paired automatically, the curator decides. The criteria and their
points are the table of docs/domain.md «Подбор наставника»; the constants below are that table.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from common import formats
from registry.models import MentoringForm, Mentorship, MentorshipLink, Person
from registry.selectors import active_mentees_count

SUBJECT_POINTS = 30  # the same subject
SUBJECT_NEAR_POINTS = 15  # subjects sharing a word («математика» and «математика и информатика»)
EXPERIENCE_CAP = 20  # one point a year of teaching experience, at most this many
REQUEST_WORD_POINTS = 10  # a word of the mentee's request found in the mentor's subject or position
REQUEST_POINTS = 20  # at most
LOAD_POINTS = 15  # a mentor without mentees; less the more mentees, nothing offered at the limit
SCHOOL_POINTS = 15  # the mentor works in the mentee's organization
# 30 + 20 + 20 + 15 + 15 = 100.

WORD_MIN = 4  # shorter words are prepositions and the like
STEM = 5  # a crude Russian stem: «математика», «математики», «математике» → «матем»
# Stems too common in positions to say anything about a match.
STOP_STEMS = frozenset(
    {"учите", "педаг", "препо", "воспи", "специ", "молод", "котор", "чтобы", "также", "более", "очень"}
)


@dataclass(frozen=True)
class Suggestion:
    mentor: Person
    score: int  # 0–100
    reasons: list[tuple[str, int]]  # (Russian text, points), in the order of the table


def normalize(text: str) -> str:
    """Lowercase, «ё» as «е», words separated by single spaces, punctuation dropped."""
    return " ".join(re.findall(r"\w+", (text or "").lower().replace("ё", "е")))


def stems(text: str) -> dict[str, str]:
    """The stems of the words of ``text`` that count, each with the first word it came from."""
    found: dict[str, str] = {}
    for word in normalize(text).split():
        if len(word) >= WORD_MIN and not word.isdigit():
            stem = word[:STEM]
            if stem not in STOP_STEMS:
                found.setdefault(stem, word)
    return found


def _subject_points(mentee: Person, mentor: Person) -> tuple[str, int] | None:
    wanted, offered = normalize(mentee.subject), normalize(mentor.subject)
    if not wanted or not offered:
        return None
    if wanted == offered:
        return ("совпадает предмет", SUBJECT_POINTS)
    if stems(wanted).keys() & stems(offered).keys():
        return ("близкий предмет", SUBJECT_NEAR_POINTS)
    return None


def _experience_points(mentor: Person) -> tuple[str, int] | None:
    years = mentor.teaching_experience
    if not years:
        return None
    return (f"стаж {formats.years(years)}", min(years, EXPERIENCE_CAP))


def _request_points(request_stems: dict[str, str], mentor: Person) -> tuple[str, int] | None:
    offered = stems(f"{mentor.subject} {mentor.position}")
    common = [offered[stem] for stem in request_stems if stem in offered]
    if not common:
        return None
    words = ", ".join(f"«{word}»" for word in common[:3])
    return (f"запрос наставляемого: {words}", min(REQUEST_POINTS, REQUEST_WORD_POINTS * len(common)))


def _load_points(load: int, limit: int) -> tuple[str, int]:
    return (f"нагрузка {load} из {limit}", round(LOAD_POINTS * (limit - load) / limit))


def mentor_suggestions(
    *,
    mentee: Person,
    mentoring_form: MentoringForm | None,
    candidates: QuerySet[Person],
    limit: int | None = None,
    mentee_request: str = "",
) -> list[Suggestion]:
    """The candidates as mentors of ``mentee`` in ``mentoring_form``, best first (``limit`` rows).

    Left out, not scored: the mentee himself; a category the form does not admit as mentor; a
    mentor with ``MENTOR_MENTEE_LIMIT`` or more mentees in active pairs (the load the mentor select and
    the card show: ``selectors.active_mentees_count``); a mentor
    already in an active pair of this form with this mentee. ``mentee_request`` is the request
    typed in the form being filled; without one the mentee's subject and position stand for it.
    One query whatever the number of candidates.
    """
    load_limit = settings.MENTOR_MENTEE_LIMIT
    rows = candidates.exclude(pk=mentee.pk).annotate(match_load=active_mentees_count())
    if mentoring_form is not None:
        rows = rows.annotate(
            match_paired=Exists(
                MentorshipLink.objects.filter(
                    status=Mentorship.Status.ACTIVE,
                    mentoring_form=mentoring_form,
                    mentor_person=OuterRef("pk"),
                    mentee_person=mentee,
                )
            )
        )
    request_stems = stems(mentee_request) or stems(f"{mentee.subject} {mentee.position}")
    suggestions = []
    for mentor in rows:
        if mentoring_form is not None and (
            not mentoring_form.admits("mentor", mentor.category) or mentor.match_paired
        ):
            continue
        if mentor.match_load >= load_limit:
            continue
        reasons = [
            reason
            for reason in (
                _subject_points(mentee, mentor),
                _experience_points(mentor),
                _request_points(request_stems, mentor),
                _load_points(mentor.match_load, load_limit),
                ("та же организация", SCHOOL_POINTS)
                if mentor.organization_id == mentee.organization_id
                else None,
            )
            if reason is not None
        ]
        score = max(0, min(100, sum(points for _, points in reasons)))
        suggestions.append(Suggestion(mentor=mentor, score=score, reasons=reasons))
    suggestions.sort(key=lambda s: (-s.score, s.mentor.match_load, s.mentor.full_name, str(s.mentor.pk)))
    return suggestions if limit is None else suggestions[:limit]
