"""The operator's regional registries: practices, contests, courses, methodists (registry/views/regional.py).

Actors (tests/conftest.py): ``curator`` of ``school``, ``coordinator`` of its municipality,
``other_curator``/``other_coordinator`` of the neighbouring municipality of the same region,
``operator`` of the region, ``other_operator`` of another region, ``admin_user``.
"""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from common.formats import nbsp
from registry import regional as services
from registry.models import (
    Category,
    Contest,
    ContestEntry,
    MethodistRegistryEntry,
    Organization,
    PracticeBankEntry,
    TrainingCompletion,
    TrainingCourse,
)
from registry.permissions import PAGES
from tests import factories as f
from tests.registry import factories_regional as fr

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def other_operator(db):
    return f.make_user("operator2", role="operator", region=f.make_region(name="Другая область"))


@pytest.fixture
def world(region, school, neighbour_school, other_school):
    """One object of each kind in ``school`` (the curator's), plus objects elsewhere."""
    teacher = f.make_person(organization=school, full_name="Петрова Анна Сергеевна")
    contest = fr.make_contest(region=region)
    course = fr.make_course(region=region, reported_trained_count=None)
    return {
        "practice": fr.make_practice(
            organization=school, status=PracticeBankEntry.Status.PUBLISHED, file_content=fr.PDF_BYTES
        ),
        "contest": contest,
        "entry": fr.make_entry(contest=contest, organization=school),
        "other_entry": fr.make_entry(contest=contest, organization=other_school),
        "course": course,
        "completion": fr.make_completion(course=course, person=teacher),
        "methodist": fr.make_methodist(person=teacher),
        "teacher": teacher,
    }


def url_for(name, world):
    args = {
        "practice-detail": [world["practice"].pk],
        "practice-file": [world["practice"].pk],
        "practice-public-file": [world["practice"].pk],
        "contest-detail": [world["contest"].pk],
        "contest-edit": [world["contest"].pk],
        "contest-entry-create": [world["contest"].pk],
        "contest-entry-edit": [world["contest"].pk, world["entry"].pk],
        "course-detail": [world["course"].pk],
        "course-edit": [world["course"].pk],
        "course-completion-add": [world["course"].pk],
        "methodist-edit": [world["methodist"].pk],
    }.get(name, [])
    return reverse(f"registry:{name}", args=args)


ACTORS = [
    "curator",
    "coordinator",
    "operator",
    "other_curator",
    "other_coordinator",
    "other_operator",
    "admin_user",
]
# Expected GET status per URL for the actors above, in that order.
MATRIX = {
    "practice-list": [200, 200, 200, 200, 200, 200, 200],
    "practice-create": [200, 403, 403, 200, 403, 403, 403],
    "practice-detail": [200, 200, 200, 404, 404, 404, 200],
    "practice-file": [200, 200, 200, 404, 404, 404, 200],
    "practice-public-list": [200, 200, 200, 200, 200, 200, 200],
    "practice-public-file": [200, 200, 200, 200, 200, 200, 200],
    "contest-list": [200, 200, 200, 200, 200, 200, 200],
    "contest-create": [403, 403, 200, 403, 403, 200, 200],
    "contest-detail": [200, 200, 200, 200, 200, 404, 200],
    "contest-edit": [403, 403, 200, 403, 403, 404, 200],
    "contest-entry-create": [403, 403, 200, 403, 403, 404, 200],
    "contest-entry-edit": [403, 403, 200, 404, 404, 404, 200],
    "course-list": [200, 200, 200, 200, 200, 200, 200],
    "course-create": [403, 403, 200, 403, 403, 200, 200],
    "course-detail": [200, 200, 200, 200, 200, 404, 200],
    "course-edit": [403, 403, 200, 403, 403, 404, 200],
    "course-completion-add": [403, 403, 200, 403, 403, 404, 200],
    "methodist-list": [200, 200, 200, 200, 200, 200, 200],
    "methodist-create": [403, 403, 200, 403, 403, 200, 200],
    "methodist-edit": [403, 403, 200, 404, 404, 404, 200],
}


def test_the_matrix_covers_every_url_of_the_module():
    regional = ("registry:practice-", "registry:contest-", "registry:course-", "registry:methodist-")
    names = {name.split(":")[1] for name in PAGES if name.startswith(regional)}
    assert set(MATRIX) | {"practice-review"} == names


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_matrix(request, client_for, world, name):
    url = url_for(name, world)
    for actor, expected in zip(ACTORS, MATRIX[name], strict=True):
        user = request.getfixturevalue(actor)
        response = client_for(user).get(url)
        assert response.status_code == expected, (name, actor)
        if response.status_code == 200 and response.streaming:
            # Consumed, not closed: the test client's wrapper then keeps the database connection open.
            b"".join(response.streaming_content)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_goes_to_login_except_public_pages(client, world, name):
    response = client.get(url_for(name, world))
    if name.startswith("practice-public"):
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    else:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# ---------------------------------------------------------------- practices: submitting


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def submit(client, **data):
    data.setdefault("title", "Наставник и молодой педагог: проектная неделя")
    data.setdefault("mentoring_form", f.form("experienced_young").pk)
    data.setdefault("description", "Взаимопосещение уроков, совместный проект")
    return client.post(reverse("registry:practice-create"), data)


def test_curator_submits_a_practice_of_its_own_school(client_for, curator, school, media):
    pair = f.make_mentorship(organization=school, mentoring_form=f.form("experienced_young"))
    response = submit(
        client_for(curator), mentorship=pair.pk, file=upload("Наш опыт (итог).pdf", fr.PDF_BYTES)
    )
    practice = PracticeBankEntry.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("registry:practice-detail", args=[practice.pk])
    assert practice.organization == school
    assert practice.region == school.municipality.region
    assert practice.status == PracticeBankEntry.Status.REVIEW
    assert practice.submitted_by == curator
    assert practice.mentorship == pair
    assert practice.submitted_on == datetime.date.today()
    # The stored name is the server's, not the uploader's.
    assert re.fullmatch(r"practices/\d{4}/[0-9a-f]{32}\.pdf", practice.file.name)
    assert [p.read_bytes() for p in stored_files(media)] == [fr.PDF_BYTES]


def test_posted_organization_and_status_are_ignored(
    client_for, curator, school, other_school, other_operator
):
    submit(
        client_for(curator),
        organization=other_school.pk,
        region=other_operator.scope.region_id,
        status="published",
        submitted_by=other_operator.pk,
    )
    practice = PracticeBankEntry.objects.get()
    assert (practice.organization, practice.region, practice.status, practice.submitted_by) == (
        school,
        school.municipality.region,
        PracticeBankEntry.Status.REVIEW,
        curator,
    )


def test_pair_of_another_school_posted_by_hand_is_refused(client_for, curator, neighbour_school):
    strangers_pair = f.make_mentorship(organization=neighbour_school)
    response = submit(client_for(curator), mentorship=strangers_pair.pk)
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert PracticeBankEntry.objects.count() == 0


def test_pair_choices_are_the_curators_school_only(client_for, curator, school, neighbour_school):
    mine = f.make_mentorship(organization=school)
    theirs = f.make_mentorship(organization=neighbour_school)
    choices = client_for(curator).get(reverse("registry:practice-create")).context["form"]
    values = {str(pk.value) for pk, _ in choices.fields["mentorship"].choices if pk}
    assert values == {str(mine.pk)}
    assert str(theirs.pk) not in values


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("программа.exe", fr.EXE_BYTES, services.FILE_TYPE_NOT_ALLOWED),
        ("вирус.pdf", fr.EXE_BYTES, services.FILE_CONTENT_MISMATCH.format(ext="pdf")),
        ("картинка.png", fr.JPG_BYTES, services.FILE_CONTENT_MISMATCH.format(ext="png")),
        ("документ.docx", fr.PDF_BYTES, services.FILE_CONTENT_MISMATCH.format(ext="docx")),
        ("презентация.pptx", fr.DOCX_BYTES, services.FILE_CONTENT_MISMATCH.format(ext="pptx")),
        ("архив.docx", b"PK\x03\x04 not really a zip", services.FILE_ARCHIVE_UNSAFE.format(ext="docx")),
        (
            "макрос.docx",
            fr.office_bytes("word/document.xml", "word/vbaProject.bin"),
            services.FILE_ARCHIVE_UNSAFE.format(ext="docx"),
        ),
        (
            "бомба.docx",
            fr.zip_bomb_bytes("word/document.xml"),
            services.FILE_ARCHIVE_UNSAFE.format(ext="docx"),
        ),
        ("пусто.pdf", b"", "Отправленный файл пуст."),
        ("большой.pdf", fr.PDF_BYTES + b"0" * (10 * 1024 * 1024), services.FILE_TOO_LARGE),
    ],
)
def test_wrong_file_is_refused_next_to_the_field_and_nothing_is_stored(
    client_for, curator, media, name, content, message
):
    response = submit(client_for(curator), file=upload(name, content))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["file"] == [message]
    assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert PracticeBankEntry.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name, content",
    [
        ("опыт.PDF", fr.PDF_BYTES),
        ("опыт.docx", fr.DOCX_BYTES),
        ("опыт.pptx", fr.PPTX_BYTES),
        ("фото.jpeg", fr.JPG_BYTES),
        ("фото.png", fr.PNG_BYTES),
    ],
)
def test_allowed_files_are_accepted(client_for, curator, media, name, content):
    assert submit(client_for(curator), file=upload(name, content)).status_code == 302
    practice = PracticeBankEntry.objects.get()
    kind = {"PDF": "pdf", "jpeg": "jpg"}.get(name.rsplit(".", 1)[1], name.rsplit(".", 1)[1])
    assert practice.file.name.endswith("." + kind)
    assert [p.read_bytes() for p in stored_files(media)] == [content]


def test_form_reshows_russian_errors(client_for, curator):
    response = submit(client_for(curator), title="", mentoring_form="")
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["Обязательное поле."]
    assert "Обязательное поле." in response.content.decode()
    assert PracticeBankEntry.objects.count() == 0


@pytest.mark.parametrize("actor", ["coordinator", "operator", "admin_user"])
def test_only_a_curator_submits(request, client_for, actor):
    response = submit(client_for(request.getfixturevalue(actor)))
    assert response.status_code == 403
    assert PracticeBankEntry.objects.count() == 0


# ---------------------------------------------------------------- practices: lists, review, files


@pytest.fixture
def practices(school, neighbour_school, other_school, other_operator):
    preschool = f.make_organization(
        municipality=school.municipality,
        short_name="Детский сад № 5",
        org_type=Organization.OrgType.PRESCHOOL,
    )
    other_region_school = f.make_organization(
        municipality=f.make_municipality(region=other_operator.scope.region)
    )
    return {
        "mine": fr.make_practice(organization=school, title="Своя практика"),
        "neighbour": fr.make_practice(
            organization=neighbour_school,
            title="Соседская практика",
            status=PracticeBankEntry.Status.INCLUDED,
        ),
        "preschool": fr.make_practice(
            organization=preschool, title="Практика детского сада", status=PracticeBankEntry.Status.PUBLISHED
        ),
        "other": fr.make_practice(
            organization=other_school, title="Чужая практика", status=PracticeBankEntry.Status.PUBLISHED
        ),
        "other_region": fr.make_practice(
            organization=other_region_school,
            title="Практика другого региона",
            status=PracticeBankEntry.Status.PUBLISHED,
        ),
    }


def listed(client, url):
    return [p.title for p in client.get(url).context["page"]]


def test_practice_list_shows_exactly_the_scope(
    client_for, curator, coordinator, operator, other_operator, practices
):
    url = reverse("registry:practice-list")
    assert set(listed(client_for(curator), url)) == {"Своя практика"}
    assert set(listed(client_for(coordinator), url)) == {
        "Своя практика",
        "Соседская практика",
        "Практика детского сада",
    }
    assert set(listed(client_for(operator), url)) == {
        "Своя практика",
        "Соседская практика",
        "Практика детского сада",
        "Чужая практика",
    }
    assert set(listed(client_for(other_operator), url)) == {"Практика другого региона"}


def test_practice_list_filters(client_for, operator, practices):
    client = client_for(operator)
    base = reverse("registry:practice-list")
    assert set(listed(client, base + "?status=published")) == {"Практика детского сада", "Чужая практика"}
    assert listed(client, base + "?org_type=preschool") == ["Практика детского сада"]
    assert listed(client, base + "?q=Соседская") == ["Соседская практика"]
    # Unknown parameters and ORM lookups are ignored, never expanded into the query.
    assert len(listed(client, base + "?organization__municipality__region=999&_connector=OR")) == 4
    assert len(listed(client, base + "?status=nonsense")) == 4


def xlsx_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows[3], rows[4:]


def test_practice_export_equals_the_list(client_for, coordinator, practices):
    client = client_for(coordinator)
    url = reverse("registry:practice-list") + "?q=практика&status=review"
    header, rows = xlsx_rows(client.get(url + "&format=xlsx"))
    assert header[0] == "Наименование практики"
    assert [r[0] for r in rows] == listed(client, url) == ["Своя практика"]
    assert rows[0][3] == "Октябрьский район"
    # The page's «Выгрузить в Excel» link is the same URL with format=xlsx.
    body = client.get(url).content.decode()
    query = "?q=%D0%BF%D1%80%D0%B0%D0%BA%D1%82%D0%B8%D0%BA%D0%B0&amp;status=review&amp;format=xlsx"
    assert f'href="{query}"' in body
    assert "Выгрузить в Excel" in body


def review(client, practice, action):
    return client.post(reverse("registry:practice-review", args=[practice.pk]), {"action": action})


def test_operator_includes_publishes_and_returns(client_for, operator, practices):
    practice = practices["mine"]
    client = client_for(operator)
    for action, status in [("include", "included"), ("publish", "published"), ("return", "review")]:
        response = review(client, practice, action)
        assert response.status_code == 302
        practice.refresh_from_db()
        assert practice.status == status


def test_review_refuses_a_step_that_does_not_fit_the_status(client_for, operator, practices):
    practice = practices["preschool"]  # published
    client = client_for(operator)
    response = client.post(
        reverse("registry:practice-review", args=[practice.pk]), {"action": "include"}, follow=True
    )
    practice.refresh_from_db()
    assert practice.status == PracticeBankEntry.Status.PUBLISHED
    assert "Практику в статусе «опубликована» нельзя включить в банк." in response.content.decode()


@pytest.mark.parametrize(
    "actor, expected",
    [("curator", 403), ("coordinator", 403), ("other_coordinator", 404), ("other_operator", 404)],
)
def test_review_by_others_is_refused_and_nothing_changes(request, client_for, practices, actor, expected):
    practice = practices["mine"]
    response = review(client_for(request.getfixturevalue(actor)), practice, "publish")
    assert response.status_code == expected
    practice.refresh_from_db()
    assert practice.status == PracticeBankEntry.Status.REVIEW


def test_review_is_post_only(client_for, operator, practices):
    url = reverse("registry:practice-review", args=[practices["mine"].pk])
    assert client_for(operator).get(url + "?action=publish").status_code == 405
    practices["mine"].refresh_from_db()
    assert practices["mine"].status == PracticeBankEntry.Status.REVIEW


def test_detail_shows_review_buttons_to_the_operator_only(client_for, operator, coordinator, practices):
    url = reverse("registry:practice-detail", args=[practices["mine"].pk])
    assert 'value="publish"' in client_for(operator).get(url).content.decode()
    assert 'value="publish"' not in client_for(coordinator).get(url).content.decode()


def test_student_names_of_a_pair_are_shown_to_the_curator_only(client_for, curator, operator, school):
    pair = f.make_mentorship(
        organization=school,
        mentoring_form=f.form("student_student"),
        mentor_person=f.make_person(
            organization=school, category=Category.STUDENT, full_name="Ученица Наставница"
        ),
        mentees=[f.make_person(organization=school, category=Category.STUDENT)],
    )
    practice = fr.make_practice(organization=school, mentorship=pair)
    url = reverse("registry:practice-detail", args=[practice.pk])
    assert "Ученица Наставница" in client_for(curator).get(url).content.decode()
    body = client_for(operator).get(url).content.decode()
    assert "Ученица Наставница" not in body
    assert "ученик – ученик" in body


def test_file_is_served_under_a_server_chosen_name(client_for, curator, school):
    practice = fr.make_practice(organization=school, file_content=fr.PDF_BYTES)
    response = client_for(curator).get(reverse("registry:practice-file", args=[practice.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == fr.PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("attachment")
    assert f"{practice.pk}.pdf" in response["Content-Disposition"]
    assert "stored" not in response["Content-Disposition"]


# ---------------------------------------------------------------- the public page


def test_public_page_lists_published_practices_without_personal_data(client, school, practices):
    student = f.make_person(
        organization=school,
        category=Category.STUDENT,
        full_name="Сидоров Ученик Петрович",
        email="pupil@example.ru",
        phone="+7 900 111-22-33",
    )
    mentor = f.make_person(
        organization=school,
        category=Category.STUDENT,
        full_name="Кузнецова Наставница Ивановна",
        email="mentor@example.ru",
        phone="+7 900 444-55-66",
    )
    pair = f.make_mentorship(
        organization=school, mentoring_form=f.form("student_student"), mentor_person=mentor, mentees=[student]
    )
    published = fr.make_practice(
        organization=school,
        title="Ученик – ученик: клуб взаимопомощи",
        mentorship=pair,
        status=PracticeBankEntry.Status.PUBLISHED,
        file_content=fr.PDF_BYTES,
    )
    published.submitted_by = f.make_user("curator_author")
    published.save()
    response = client.get(reverse("registry:practice-public-list"))
    assert response.status_code == 200
    body = response.content.decode()
    for title in ["Ученик – ученик: клуб взаимопомощи", "Практика детского сада", "Чужая практика"]:
        assert title in body
    assert "Практика другого региона" in body  # the public bank is everyone's
    for hidden in ["Своя практика", "Соседская практика"]:  # on review, included but not published
        assert hidden not in body
    for pd in ["Сидоров", "Кузнецова", "@example.ru", "+7 900", "curator_author", "stored"]:
        assert pd not in body
    assert nbsp(school.short_name) in body and school.municipality.name in body
    assert reverse("registry:practice-public-file", args=[published.pk]) in body


def test_public_file_only_for_published_practices(client, school):
    on_review = fr.make_practice(organization=school, file_content=fr.PDF_BYTES)
    included = fr.make_practice(
        organization=school, file_content=fr.PDF_BYTES, status=PracticeBankEntry.Status.INCLUDED
    )
    published = fr.make_practice(
        organization=school, file_content=fr.PDF_BYTES, status=PracticeBankEntry.Status.PUBLISHED
    )
    without_file = fr.make_practice(organization=school, status=PracticeBankEntry.Status.PUBLISHED)
    for practice in (on_review, included, without_file):
        assert client.get(reverse("registry:practice-public-file", args=[practice.pk])).status_code == 404
    response = client.get(reverse("registry:practice-public-file", args=[published.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == fr.PDF_BYTES


# ---------------------------------------------------------------- contests: counts by organization type


@pytest.fixture
def duet(region, municipality, other_municipality):
    """Smolensk's «Педагогический дуэт»: 10 ДОО + 15 schools + 1 ДО = 26 entries."""
    contest = fr.make_contest(region=region, title="Педагогический дуэт")
    kinds = (
        [Organization.OrgType.PRESCHOOL] * 10
        + [Organization.OrgType.SCHOOL] * 15
        + [Organization.OrgType.ADDITIONAL]
    )
    for k, kind in enumerate(kinds):
        # Oktyabrsky holds 3 ДОО and 4 schools; the rest are in the neighbouring municipality.
        mine = (kind == "preschool" and k < 3) or (kind == "school" and k < 14)
        organization = f.make_organization(
            municipality=municipality if mine else other_municipality, org_type=kind
        )
        fr.make_entry(
            contest=contest,
            organization=organization,
            result=ContestEntry.Result.WINNER if k == 18 else ContestEntry.Result.PARTICIPANT,
        )
    return contest


def test_counts_by_organization_type_are_one_query(duet):
    with CaptureQueriesContext(connection) as queries:
        counts = services.entry_counts_by_org_type(entries=ContestEntry.objects.filter(contest=duet))
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"].upper()
    assert (counts.total, [(r.label, r.count, r.share) for r in counts.rows]) == (
        26,
        [("ДОО", 10, "38,5\xa0%"), ("общеобразовательные", 15, "57,7\xa0%"), ("ДО", 1, "3,8\xa0%")],
    )


def test_operator_sees_26_entries_as_10_15_1(client_for, operator, duet):
    body = client_for(operator).get(reverse("registry:contest-detail", args=[duet.pk])).content.decode()
    expected = "ДОО — 10 (38,5\xa0%), общеобразовательные — 15 (57,7\xa0%), ДО — 1 (3,8\xa0%), всего 26"
    assert f'data-figure="entry-counts">{expected}<' in body
    assert "38,5" in body and "26" in body


def test_coordinator_sees_its_municipality_entries_and_counts(client_for, coordinator, municipality, duet):
    response = client_for(coordinator).get(reverse("registry:contest-detail", args=[duet.pk]))
    body = response.content.decode()
    entries = list(response.context["page"])
    assert len(entries) == 7
    assert {e.organization.municipality_id for e in entries} == {municipality.pk}
    expected = "ДОО — 3 (42,9\xa0%), общеобразовательные — 4 (57,1\xa0%), всего 7"
    assert f'data-figure="entry-counts">{expected}<' in body
    assert "муниципалитет «Октябрьский район»" in body
    assert 'href="' + reverse("registry:contest-entry-create", args=[duet.pk]) not in body


def test_contest_list_counts_entries_in_scope(client_for, operator, coordinator, duet):
    assert [
        c.n_entries for c in client_for(operator).get(reverse("registry:contest-list")).context["page"]
    ] == [26]
    assert [
        c.n_entries for c in client_for(coordinator).get(reverse("registry:contest-list")).context["page"]
    ] == [7]


def test_contest_entries_filter_and_export_equal_the_list(client_for, coordinator, duet):
    client = client_for(coordinator)
    url = reverse("registry:contest-detail", args=[duet.pk]) + "?org_type=preschool"
    on_screen = [e.title for e in client.get(url).context["page"]]
    header, rows = xlsx_rows(client.get(url + "&format=xlsx"))
    assert header == (
        "Организация",
        "Код ОО",
        "Тип ОО",
        "Муниципалитет",
        "Участник",
        "Номинация",
        "Результат",
    )
    assert [r[4] for r in rows] == on_screen
    assert len(on_screen) == 3 and {r[2] for r in rows} == {"дошкольная"}


def test_contest_list_export_equals_the_list(client_for, operator, region, duet):
    fr.make_contest(
        region=region,
        title="Наставник года",
        start_date=datetime.date(2024, 2, 1),
        end_date=datetime.date(2024, 3, 1),
    )
    client = client_for(operator)
    url = reverse("registry:contest-list") + "?year=2023"
    header, rows = xlsx_rows(client.get(url + "&format=xlsx"))
    assert [(r[0], r[4]) for r in rows] == [(c.title, c.n_entries) for c in client.get(url).context["page"]]
    assert rows == [
        (
            "Педагогический дуэт",
            "региональный",
            datetime.datetime(2023, 4, 3),
            datetime.datetime(2023, 4, 28),
            26,
            None,
        )
    ]


# ---------------------------------------------------------------- contests: writes


CONTEST_DATA = {
    "title": "Лучшая пара",
    "level": "regional",
    "start_date": "2024-04-01",
    "end_date": "2024-04-30",
    "goal": "Выявление практик",
    "nominations": "",
}


def test_operator_creates_a_contest_in_its_own_region(client_for, operator, region, other_operator):
    response = client_for(operator).post(
        reverse("registry:contest-create"), {**CONTEST_DATA, "region": other_operator.scope.region_id}
    )
    contest = Contest.objects.get()
    assert response.status_code == 302
    assert (contest.title, contest.region, contest.start_date) == (
        "Лучшая пара",
        region,
        datetime.date(2024, 4, 1),
    )


def test_contest_dates_error_is_shown_in_russian(client_for, operator):
    response = client_for(operator).post(
        reverse("registry:contest-create"), {**CONTEST_DATA, "end_date": "2024-03-01"}
    )
    assert response.status_code == 200
    assert "Дата окончания не может быть раньше даты начала." in response.content.decode()
    assert Contest.objects.count() == 0


def test_admin_chooses_the_region_of_a_contest(client_for, admin_user, region):
    client = client_for(admin_user)
    response = client.post(reverse("registry:contest-create"), CONTEST_DATA)
    assert response.context["form"].errors["region"] == ["Обязательное поле."]
    client.post(reverse("registry:contest-create"), {**CONTEST_DATA, "region": region.pk})
    assert Contest.objects.get().region == region


@pytest.mark.parametrize("actor", ["curator", "coordinator"])
def test_read_only_roles_cannot_create_or_edit_contests(request, client_for, world, actor):
    client = client_for(request.getfixturevalue(actor))
    assert client.post(reverse("registry:contest-create"), CONTEST_DATA).status_code == 403
    contest = world["contest"]
    assert client.post(reverse("registry:contest-edit", args=[contest.pk]), CONTEST_DATA).status_code == 403
    contest.refresh_from_db()
    assert contest.title != "Лучшая пара"
    assert Contest.objects.count() == 1


def test_operator_edits_a_contest_and_other_region_gets_404(client_for, operator, other_operator, world):
    contest = world["contest"]
    url = reverse("registry:contest-edit", args=[contest.pk])
    assert client_for(other_operator).post(url, CONTEST_DATA).status_code == 404
    contest.refresh_from_db()
    assert contest.title != "Лучшая пара"
    assert client_for(operator).post(url, CONTEST_DATA).status_code == 302
    contest.refresh_from_db()
    assert (contest.title, contest.end_date) == ("Лучшая пара", datetime.date(2024, 4, 30))


def test_operator_adds_an_entry(client_for, operator, world, neighbour_school):
    contest = world["contest"]
    response = client_for(operator).post(
        reverse("registry:contest-entry-create", args=[contest.pk]),
        {
            "organization": neighbour_school.pk,
            "title": "Иванова И. И. и Смирнова А. А.",
            "result": "prize",
            "nomination": "Лучшая пара",
        },
    )
    assert response.status_code == 302
    entry = ContestEntry.objects.get(organization=neighbour_school)
    assert (entry.contest, entry.result, entry.nomination) == (contest, "prize", "Лучшая пара")


def test_entry_of_another_regions_organization_posted_by_hand_is_refused(client_for, operator, world):
    stranger = f.make_organization()  # another region
    before = ContestEntry.objects.count()
    response = client_for(operator).post(
        reverse("registry:contest-entry-create", args=[world["contest"].pk]),
        {"organization": stranger.pk, "title": "Чужая пара", "result": "participant"},
    )
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert ContestEntry.objects.count() == before


def test_operator_sets_an_entry_result(client_for, operator, world):
    entry = world["entry"]
    response = client_for(operator).post(
        reverse("registry:contest-entry-edit", args=[world["contest"].pk, entry.pk]),
        {"organization": entry.organization_id, "title": entry.title, "result": "winner"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.result == ContestEntry.Result.WINNER


def test_entry_of_another_contest_is_404(client_for, operator, region, world):
    other_contest = fr.make_contest(region=region)
    url = reverse("registry:contest-entry-edit", args=[other_contest.pk, world["entry"].pk])
    assert client_for(operator).get(url).status_code == 404


# ---------------------------------------------------------------- courses


def test_trained_count_is_completions_or_the_providers_report(client_for, operator, region, school):
    named = fr.make_course(region=region, title="ЦНППМ", reported_trained_count=999)
    for _ in range(30):
        fr.make_completion(course=named, person=f.make_person(organization=school))
    fr.make_course(region=region, title="Академия", reported_trained_count=100)
    fr.make_course(region=region, title="Без данных")
    client = client_for(operator)
    rows = {c.title: str(t) for c, t in client.get(reverse("registry:course-list")).context["rows"]}
    assert rows == {"ЦНППМ": "30", "Академия": "100 (по отчёту провайдера)", "Без данных": "0"}
    academy = TrainingCourse.objects.get(title="Академия")
    body = client.get(reverse("registry:course-detail", args=[academy.pk])).content.decode()
    assert 'data-figure="trained">100 (по отчёту провайдера)<' in body
    assert "Слушатели не внесены поимённо." in body


def test_coordinator_sees_completions_of_its_municipality_only(
    client_for, coordinator, region, school, neighbour_school, other_school
):
    course = fr.make_course(region=region)
    for organization, name in [(school, "Свой"), (neighbour_school, "Сосед"), (other_school, "Чужой")]:
        fr.make_completion(course=course, person=f.make_person(organization=organization, full_name=name))
    client = client_for(coordinator)
    response = client.get(reverse("registry:course-detail", args=[course.pk]))
    assert {c.person.full_name for c in response.context["page"]} == {"Свой", "Сосед"}
    assert str(response.context["trained"]) == "2"
    assert "Чужой" not in response.content.decode()
    header, rows = xlsx_rows(client.get(reverse("registry:course-detail", args=[course.pk]) + "?format=xlsx"))
    assert header[0] == "ФИО"
    assert sorted(r[0] for r in rows) == ["Свой", "Сосед"]
    assert [str(t) for _, t in client.get(reverse("registry:course-list")).context["rows"]] == ["2"]


COURSE_DATA = {
    "title": "Наставничество в системе «учитель – учитель»",
    "provider": "ЦНППМ",
    "hours": "36",
    "start_date": "2023-01-24",
    "end_date": "2023-03-24",
    "schedule": "24.01–31.01 и 21.02–24.03.2023",
    "audience": "педагоги-наставники",
    "reported_trained_count": "",
}


def test_operator_creates_and_edits_a_course(client_for, operator, region, other_operator):
    client = client_for(operator)
    response = client.post(
        reverse("registry:course-create"), {**COURSE_DATA, "region": other_operator.scope.region_id}
    )
    course = TrainingCourse.objects.get()
    assert response.status_code == 302
    assert (course.region, course.hours, course.reported_trained_count) == (region, 36, None)
    response = client.post(
        reverse("registry:course-edit", args=[course.pk]), {**COURSE_DATA, "reported_trained_count": "100"}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.reported_trained_count == 100


@pytest.mark.parametrize("actor", ["curator", "coordinator"])
def test_read_only_roles_cannot_write_courses(request, client_for, world, actor):
    client = client_for(request.getfixturevalue(actor))
    course = world["course"]
    assert client.post(reverse("registry:course-create"), COURSE_DATA).status_code == 403
    assert client.post(reverse("registry:course-edit", args=[course.pk]), COURSE_DATA).status_code == 403
    url = reverse("registry:course-completion-add", args=[course.pk])
    teacher = f.make_person(organization=world["teacher"].organization)
    assert client.post(url, {"people": [teacher.pk], "completed_on": "2023-03-24"}).status_code == 403
    assert TrainingCourse.objects.count() == 1
    assert TrainingCompletion.objects.count() == 1


def test_operator_adds_completions_by_choosing_people(client_for, operator, world, school, other_school):
    course = world["course"]
    url = reverse("registry:course-completion-add", args=[course.pk])
    first = f.make_person(organization=school, full_name="Орлова Мария Ивановна")
    second = f.make_person(organization=other_school, full_name="Орлов Пётр Ильич", category=Category.HEAD)
    pupil = f.make_person(organization=school, full_name="Орлов Ученик", category=Category.STUDENT)
    client = client_for(operator)
    candidates = client.get(url + "?q=Орлов").context["candidates"]
    assert {p.full_name for p in candidates} == {"Орлова Мария Ивановна", "Орлов Пётр Ильич"}
    assert pupil not in candidates
    response = client.post(url, {"people": [first.pk, second.pk], "completed_on": "2023-03-24"})
    assert response.status_code == 302
    assert set(course.completions.values_list("person__full_name", "completed_on")) == {
        ("Петрова Анна Сергеевна", course.end_date),
        ("Орлова Мария Ивановна", datetime.date(2023, 3, 24)),
        ("Орлов Пётр Ильич", datetime.date(2023, 3, 24)),
    }


@pytest.mark.parametrize("who", ["student", "other_region"])
def test_out_of_scope_or_wrong_people_posted_by_hand_are_refused(client_for, operator, world, school, who):
    course = world["course"]
    person = (
        f.make_person(organization=school, category=Category.STUDENT)
        if who == "student"
        else f.make_person()  # another region
    )
    ok = f.make_person(organization=school)
    response = client_for(operator).post(
        reverse("registry:course-completion-add", args=[course.pk]),
        {"people": [ok.pk, person.pk], "completed_on": "2023-03-24"},
    )
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert TrainingCompletion.objects.count() == 1


def test_service_refuses_people_of_another_region_or_minors(world, school):
    course = world["course"]
    pupil = f.make_person(organization=school, category=Category.STUDENT, full_name="Ученик")
    stranger = f.make_person(full_name="Чужой педагог")
    with pytest.raises(services.ValidationError) as excinfo:
        services.course_add_completions(course=course, people=[pupil, stranger], completed_on=course.end_date)
    assert excinfo.value.message_dict["people"] == [
        services.COMPLETION_PERSON_NOT_ADULT.format(person="Ученик"),
        services.COMPLETION_PERSON_OTHER_REGION.format(person="Чужой педагог"),
    ]
    assert TrainingCompletion.objects.count() == 1


def test_course_list_filters_and_export(client_for, operator, region):
    fr.make_course(region=region, title="Курс 2023", reported_trained_count=100)
    fr.make_course(
        region=region,
        title="Курс 2021",
        start_date=datetime.date(2021, 1, 18),
        end_date=datetime.date(2021, 1, 29),
    )
    client = client_for(operator)
    url = reverse("registry:course-list") + "?year=2023"
    assert [c.title for c, _ in client.get(url).context["rows"]] == ["Курс 2023"]
    header, rows = xlsx_rows(client.get(url + "&format=xlsx"))
    assert header[-2:] == ("Обучено", "Источник")
    assert [(r[0], r[-2], r[-1]) for r in rows] == [("Курс 2023", 100, "по отчёту провайдера")]


# ---------------------------------------------------------------- regional methodists


@pytest.fixture
def methodists(school, neighbour_school, other_school):
    return {
        "mine": fr.make_methodist(person=f.make_person(organization=school, full_name="Свой Методист")),
        "neighbour": fr.make_methodist(
            person=f.make_person(organization=neighbour_school, full_name="Соседний Методист"),
            contract_start=datetime.date(2024, 1, 1),
            contract_end=datetime.date(2024, 12, 31),
        ),
        "other": fr.make_methodist(
            person=f.make_person(organization=other_school, full_name="Чужой Методист")
        ),
        "other_region": fr.make_methodist(person=f.make_person(full_name="Методист другого региона")),
    }


def methodist_names(client, query=""):
    return [
        e.person.full_name for e in client.get(reverse("registry:methodist-list") + query).context["page"]
    ]


def test_methodist_list_shows_exactly_the_scope(client_for, curator, coordinator, operator, methodists):
    assert methodist_names(client_for(curator)) == ["Свой Методист"]
    assert methodist_names(client_for(coordinator)) == ["Свой Методист", "Соседний Методист"]
    assert methodist_names(client_for(operator)) == ["Свой Методист", "Соседний Методист", "Чужой Методист"]


def test_methodists_active_on_a_date_and_export(client_for, coordinator, municipality, methodists):
    client = client_for(coordinator)
    assert methodist_names(client, "?active_on=2023-06-01") == ["Свой Методист"]
    assert methodist_names(client, "?active_on=01.06.2024") == ["Соседний Методист"]
    assert methodist_names(client, f"?municipality={municipality.pk}&q=Сосед") == ["Соседний Методист"]
    header, rows = xlsx_rows(
        client.get(reverse("registry:methodist-list") + "?active_on=2024-06-01&format=xlsx")
    )
    assert header == (
        "ФИО",
        "Организация",
        "Код ОО",
        "Муниципалитет",
        "Специализация",
        "Статус",
        "Договор ГПХ с",
        "Договор ГПХ по",
    )
    assert [r[0] for r in rows] == ["Соседний Методист"]
    assert rows[0][6:] == (datetime.datetime(2024, 1, 1), datetime.datetime(2024, 12, 31))


def test_municipality_filter_offers_the_scope_only(
    client_for, coordinator, municipality, other_municipality, methodists
):
    client = client_for(coordinator)
    form = client.get(reverse("registry:methodist-list")).context["filter"].form
    assert list(form.fields["municipality"].queryset) == [municipality]
    # A municipality out of scope sent by hand is not a valid choice: the filter is dropped, the scope stays.
    assert methodist_names(client, f"?municipality={other_municipality.pk}") == [
        "Свой Методист",
        "Соседний Методист",
    ]


METHODIST_DATA = {
    "specialization": "сопровождение ИПН",
    "status": "regional_methodist",
    "contract_start": "2023-02-01",
    "contract_end": "2023-12-31",
}


def test_operator_adds_a_methodist_chosen_from_the_region(client_for, operator, region, other_school):
    person = f.make_person(organization=other_school, full_name="Новикова Елена Павловна")
    client = client_for(operator)
    candidates = client.get(reverse("registry:methodist-create") + "?q=Новикова").context["candidates"]
    assert candidates == [person]
    response = client.post(reverse("registry:methodist-create"), {**METHODIST_DATA, "person": person.pk})
    assert response.status_code == 302
    entry = MethodistRegistryEntry.objects.get()
    assert (entry.person, entry.region, entry.contract_end) == (person, region, datetime.date(2023, 12, 31))


@pytest.mark.parametrize("who", ["other_region", "student"])
def test_methodist_out_of_scope_or_minor_posted_by_hand_is_refused(client_for, operator, school, who):
    person = (
        f.make_person()
        if who == "other_region"
        else f.make_person(organization=school, category=Category.STUDENT)
    )
    response = client_for(operator).post(
        reverse("registry:methodist-create"), {**METHODIST_DATA, "person": person.pk}
    )
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert MethodistRegistryEntry.objects.count() == 0


def test_methodist_contract_dates_and_duplicates_are_refused_in_russian(client_for, operator, school):
    person = f.make_person(organization=school)
    client = client_for(operator)
    url = reverse("registry:methodist-create")
    response = client.post(url, {**METHODIST_DATA, "person": person.pk, "contract_end": "2022-01-01"})
    assert "Дата окончания договора не может быть раньше даты начала." in response.content.decode()
    assert MethodistRegistryEntry.objects.count() == 0
    assert client.post(url, {**METHODIST_DATA, "person": person.pk}).status_code == 302
    response = client.post(url, {**METHODIST_DATA, "person": person.pk})
    assert response.status_code == 200
    assert "уже существует" in response.content.decode()
    assert MethodistRegistryEntry.objects.count() == 1


def test_operator_extends_a_contract_and_coordinator_cannot(client_for, operator, coordinator, methodists):
    entry = methodists["mine"]
    url = reverse("registry:methodist-edit", args=[entry.pk])
    data = {**METHODIST_DATA, "contract_end": "2024-12-31", "person": f.make_person().pk}
    assert client_for(coordinator).post(url, data).status_code == 403
    entry.refresh_from_db()
    assert entry.contract_end == datetime.date(2023, 12, 31)
    assert client_for(operator).post(url, data).status_code == 302
    entry.refresh_from_db()
    assert entry.contract_end == datetime.date(2024, 12, 31)
    assert entry.person.full_name == "Свой Методист"  # the person is not editable


# ---------------------------------------------------------------- fixed query counts with 30+ rows


@pytest.fixture
def many(region, municipality, school):
    """35 rows of each kind in the coordinator's municipality."""
    contest = fr.make_contest(region=region)
    course = fr.make_course(region=region)
    for k in range(35):
        organization = f.make_organization(
            municipality=municipality,
            org_type=[Organization.OrgType.SCHOOL, Organization.OrgType.PRESCHOOL][k % 2],
        )
        person = f.make_person(organization=organization)
        fr.make_practice(organization=organization, status=PracticeBankEntry.Status.PUBLISHED)
        fr.make_entry(contest=contest, organization=organization)
        fr.make_completion(course=course, person=person)
        fr.make_methodist(person=person)
        fr.make_contest(region=region)
        fr.make_course(region=region, reported_trained_count=k)
    return {"contest": contest, "course": course}


# Queries per list page (and its export) whatever the number of rows: coordinator, operator.
LIST_QUERIES = {
    # each page + the header's unread notices (the bell, docs/architecture.md §14)
    "practice-list": (8, 7, 35),
    # + the signed-in user's scope, which only the menu reads here (a mentor's menu is its pairs only)
    "practice-public-list": (7, 7, 35),
    "contest-list": (7, 6, 36),
    "contest-detail": (9, 8, 35),
    "course-list": (7, 6, 36),
    "course-detail": (10, 9, 35),
    "methodist-list": (8, 7, 35),
}


@pytest.mark.parametrize("actor", ["coordinator", "operator"])
def test_lists_run_a_fixed_number_of_queries(request, client_for, django_assert_max_num_queries, many, actor):
    client = client_for(request.getfixturevalue(actor))
    for name, (coordinator_queries, operator_queries, rows) in LIST_QUERIES.items():
        max_queries = coordinator_queries if actor == "coordinator" else operator_queries
        args = {"contest-detail": [many["contest"].pk], "course-detail": [many["course"].pk]}.get(name, [])
        url = reverse(f"registry:{name}", args=args)
        with django_assert_max_num_queries(max_queries, info=name):
            response = client.get(url)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == rows, name
        with django_assert_max_num_queries(max_queries + 1, info=name):  # + the access-log INSERT
            assert client.get(url + "?format=xlsx").status_code == 200


def test_public_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, many):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("registry:practice-public-list"))
    assert response.context["page"].paginator.count == 35
    assert len(response.context["page"]) == 35
