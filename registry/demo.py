"""The demo region (docs/architecture.md §9): invented people from which each seed's figures can be rebuilt.

- «Октябрьский район»: 26 schools; as of 30.12.2022 (school year 2022/2023) the registry
  gives the Oktyabrsky shares of seed 002: 30 of 410 teachers mentor young specialists
  (7,3 %), 30 of 30 young specialists are mentees (100 %), 107 of 410 teachers mentor
  pupils (26,1 %), 900 of 5000 pupils mentor (18 %), 1270 of 5000 are mentees (25,4 %).
- 27 municipalities and 340 general-education schools (Smolensk, seed 003); 254 of them
  have published their «положение» on the site by 04.04.2023; the «Педагогический дуэт»
  contest has 26 entries = 10 ДОО + 15 schools + 1 ДО; 26 practices in the bank; 73
  regional methodists; courses with 30 (ЦНППМ) and 100 (Академия) trained, and the team
  course with 75 trained (Bryansk, seed 000).
- The current school year has its own headcounts and active pairs, so the portal is alive.

Everything is deterministic (a seeded RNG and uuid5 keys), so running ``seed_demo``
twice creates nothing the second time.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from common.text import fold

from . import meetings, plans, services
from .models import (
    CURRENT_CONSENT_TEXT_VERSION,
    BaseMembership,
    Category,
    Contest,
    ContestEntry,
    Headcount,
    Meeting,
    MentoringForm,
    MentoringPlan,
    Mentorship,
    MethodistRegistryEntry,
    Municipality,
    NormativeDocument,
    Organization,
    OrganizationStatus,
    Person,
    PlanItem,
    PlanTemplate,
    PlanTemplateItem,
    PracticeBankEntry,
    Region,
    TrainingCompletion,
    TrainingCourse,
    UserScope,
    school_year_of,
)

NAMESPACE = uuid.UUID("6f0c3c1e-7d0b-4a53-9d55-0c5d1f2b8a11")
PASSWORD = "demo"
REGION_CODE = "DEMO"
OKTYABRSKY_CODE = "M01"
CURATOR_SCHOOL_CODE = "D0116"

# Seed 002, as of 30.12.2022: the counts behind the published shares.
OKTYABRSKY = {
    "teachers": 410,
    "young_specialists": 30,
    "students": 5000,
    "teacher_mentors_of_young": 30,
    "teacher_mentors_of_pupils": 107,
    "pupil_mentors": 900,
    "pupil_mentees": 1270,
}
SCHOOLS_IN_REGION = 340
SCHOOLS_WITH_REGULATION = 254

MUNICIPALITY_NAMES = [
    "Октябрьский район",
    "Город Приреченск",
    "Город Заозёрск",
    "Берёзовский район",
    "Верхнедолинский район",
    "Высоковский район",
    "Глинковский район",
    "Гореловский район",
    "Дубравинский район",
    "Ельнинский район",
    "Зареченский район",
    "Каменский район",
    "Кленовский район",
    "Краснохолмский район",
    "Лесногорский район",
    "Луговской район",
    "Малиновский район",
    "Новосельский район",
    "Озёрный район",
    "Подгорный район",
    "Покровский район",
    "Рябиновский район",
    "Сосновский район",
    "Степной район",
    "Тихвинский район",
    "Угорский район",
    "Ясеневский район",
]
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
]
MALE = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Матвей",
    "Роман",
    "Егор",
    "Арсений",
    "Иван",
    "Денис",
    "Евгений",
    "Тимофей",
    "Павел",
]
FEMALE = [
    "Анна",
    "Мария",
    "Елена",
    "Дарья",
    "Алина",
    "Ирина",
    "Екатерина",
    "Арина",
    "Полина",
    "Ольга",
    "Юлия",
    "Татьяна",
    "Наталья",
    "Виктория",
    "Елизавета",
    "Анастасия",
    "Ксения",
    "Софья",
    "Вера",
    "Нина",
]
PATRONYMICS_M = [
    "Александрович",
    "Дмитриевич",
    "Сергеевич",
    "Андреевич",
    "Алексеевич",
    "Иванович",
    "Павлович",
]
PATRONYMICS_F = [
    "Александровна",
    "Дмитриевна",
    "Сергеевна",
    "Андреевна",
    "Алексеевна",
    "Ивановна",
    "Павловна",
]
SUBJECTS = [
    "русский язык",
    "математика",
    "история",
    "биология",
    "физика",
    "химия",
    "английский язык",
    "начальные классы",
    "информатика",
    "география",
    "литература",
    "физическая культура",
]


def split(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder: the parts add up exactly."""
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass
class Plan:
    """Rows the demo wants, keyed for idempotency."""

    people: dict = field(default_factory=dict)  # uuid -> Person
    mentorships: list = field(default_factory=list)  # (Mentorship, [mentees])


class DemoBuilder:
    def __init__(self, today: datetime.date | None = None):
        self.rng = random.Random(20221230)
        self.today = today or timezone.localdate()
        self.current_year = school_year_of(self.today)
        self.plan = Plan()
        self.forms = {f.code: f for f in MentoringForm.objects.all()}
        self.natural_keys = set()

    # ------------------------------------------------------------ helpers

    def uid(self, *parts) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))

    @staticmethod
    def name(rng: random.Random) -> str:
        surname = rng.choice(SURNAMES)
        if rng.random() < 0.6:
            return f"{surname}а {rng.choice(FEMALE)} {rng.choice(PATRONYMICS_F)}"
        return f"{surname} {rng.choice(MALE)} {rng.choice(PATRONYMICS_M)}"

    def person(
        self, key: str, organization: Organization, category: str, year: int = 2022, **extra
    ) -> Person:
        """A person of the demo; a student's ``age`` is the age on 1 September of ``year``."""
        pid = self.uid("person", key)
        if pid in self.plan.people:
            return self.plan.people[pid]
        rng = random.Random(str(pid))  # a person depends on its key only, not on what was drawn before
        if category == Category.STUDENT:
            age = extra.pop("age", rng.randint(11, 16))
            birth = datetime.date(year - age - 1, rng.randint(9, 12), rng.randint(1, 28))
            extra.setdefault("grade", f"{min(11, age - 6)}{rng.choice('АБВ')}")
        else:
            birth = datetime.date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28))
            extra.setdefault("position", "учитель")
            extra.setdefault("subject", rng.choice(SUBJECTS))
            extra.setdefault("teaching_experience", rng.randint(5, 35))
        full_name = self.name(rng)
        while (organization.pk, full_name, birth) in self.natural_keys:
            full_name = self.name(rng)
        self.natural_keys.add((organization.pk, full_name, birth))
        # Every person consented when entered (docs/reliability.md §3.1); a pupil through a parent.
        consent_giver = self.name(rng) if category == Category.STUDENT else ""
        person = Person(
            id=pid,
            organization=organization,
            full_name=full_name,
            search_name=fold(full_name),  # written by bulk_create, which calls no save()
            birth_date=birth,
            category=category,
            consent_date=datetime.date(year, 9, 1),
            consent_giver=consent_giver,
            consent_text_version=CURRENT_CONSENT_TEXT_VERSION,
            **extra,
        )
        self.plan.people[pid] = person
        return person

    def mentorship(self, key: str, organization, form_code: str, mentor, mentees: list, **fields) -> None:
        form = self.forms[form_code]
        mentor_field = "mentor_organization" if form.links_organizations else "mentor_person"
        mentorship = Mentorship(
            id=self.uid("mentorship", key),
            organization=organization,
            mentoring_form=form,
            **{mentor_field: mentor},
            **fields,
        )
        self.plan.mentorships.append((mentorship, mentees))

    # ------------------------------------------------------------ territory

    def build(self) -> dict:
        region, _ = Region.objects.update_or_create(
            code=REGION_CODE,
            defaults={
                "name": "Демонстрационная область",
                "education_authority": "Министерство образования Демонстрационной области",
            },
        )
        municipalities = []
        for i, name in enumerate(MUNICIPALITY_NAMES, start=1):
            municipality, _ = Municipality.objects.update_or_create(
                code=f"M{i:02d}",
                defaults={
                    "region": region,
                    "name": name,
                    "education_authority": f"Отдел образования ({name})",
                    "methodical_service": "МАУ «Информационно-методический кабинет»" if i == 1 else "",
                },
            )
            municipalities.append(municipality)
        schools = self.schools(municipalities)
        others = self.other_organizations(municipalities)
        self.headcounts(schools)
        self.oktyabrsky(schools[:26])
        self.other_municipalities(schools[26:])
        self.ooo_network(schools)
        self.save_plan()
        self.documents(region, municipalities, schools)
        self.courses(region, schools)
        self.contest(region, schools, others)
        self.practices(region, schools)
        self.methodists(region, schools)
        self.mentoring_plans(region)
        self.plan_templates(region)
        self.meetings()
        self.bases(schools)
        accounts = self.accounts(
            region, municipalities[0], Organization.objects.get(code=CURATOR_SCHOOL_CODE)
        )
        return {"region": region, "accounts": accounts}

    def schools(self, municipalities) -> list[Organization]:
        # 26 schools in Oktyabrsky, the other 314 spread over the remaining 26 municipalities.
        per_municipality = [26] + split(SCHOOLS_IN_REGION - 26, [1 + (i % 4) for i in range(26)])
        schools = []
        number = 0
        for municipality, count in zip(municipalities, per_municipality, strict=True):
            for k in range(1, count + 1):
                number += 1
                code = f"D{municipality.code[1:]}{k:02d}"  # «Код ОО»: municipality and school number
                kind = "СОШ" if k % 5 else "ООШ"
                name = f"МБОУ «{kind} № {k}» ({municipality.name})"
                if code == CURATOR_SCHOOL_CODE:
                    name = "МБОУ «СОШ № 16» Октябрьского района"
                organization, _ = Organization.objects.update_or_create(
                    code=code,
                    defaults={
                        "full_name": name,
                        "short_name": f"{kind} № {k}",
                        "municipality": municipality,
                        "org_type": Organization.OrgType.SCHOOL,
                        "site_url": f"https://school{number}.demo.example/",
                        "model_status": Organization.ModelStatus.IMPLEMENTATION,
                        "model_status_since": datetime.date(2021, 9, 1),
                    },
                )
                schools.append(organization)
        curator_school = next(s for s in schools if s.code == CURATOR_SCHOOL_CODE)
        # Seed 001: preparatory stage from 01.09.2020, regional innovation site from 07.02.2021.
        OrganizationStatus.objects.get_or_create(
            organization=curator_school,
            kind=OrganizationStatus.Kind.INNOVATION_SITE,
            start_date=datetime.date(2021, 2, 7),
            defaults={"basis": "приказ Министерства образования от 07.02.2021 № 2769"},
        )
        return schools

    def other_organizations(self, municipalities) -> dict:
        region_centre = municipalities[1]
        operator, _ = Organization.objects.update_or_create(
            code="D9000",
            defaults={
                "full_name": "ГАУ ДПО «Институт развития образования Демонстрационной области»",
                "short_name": "ИРО (ЦНППМ)",
                "municipality": region_centre,
                "org_type": Organization.OrgType.DPO,
            },
        )
        OrganizationStatus.objects.get_or_create(
            organization=operator,
            kind=OrganizationStatus.Kind.REGIONAL_OPERATOR,
            start_date=datetime.date(2022, 11, 8),
            defaults={"basis": "приказ Министерства образования от 08.11.2022 № 933-ОД"},
        )
        Organization.objects.update_or_create(
            code="D9001",
            defaults={
                "full_name": "МАУ «Информационно-методический кабинет» Октябрьского района",
                "short_name": "МАУ «ИМК»",
                "municipality": municipalities[0],
                "org_type": Organization.OrgType.METHODICAL_SERVICE,
            },
        )
        preschools = []
        for i in range(1, 11):
            org, _ = Organization.objects.update_or_create(
                code=f"D91{i:02d}",
                defaults={
                    "full_name": f"МБДОУ «Детский сад № {i}» ({municipalities[i].name})",
                    "short_name": f"Детский сад № {i}",
                    "municipality": municipalities[i],
                    "org_type": Organization.OrgType.PRESCHOOL,
                },
            )
            preschools.append(org)
        additional, _ = Organization.objects.update_or_create(
            code="D9201",
            defaults={
                "full_name": "МБУ ДО «Дом детского творчества» (Город Приреченск)",
                "short_name": "ДДТ",
                "municipality": region_centre,
                "org_type": Organization.OrgType.ADDITIONAL,
            },
        )
        return {"operator": operator, "preschools": preschools, "additional": additional}

    def headcounts(self, schools) -> None:
        oktyabrsky = schools[:26]
        weights = [self.rng.uniform(0.6, 1.6) for _ in oktyabrsky]
        teachers = split(OKTYABRSKY["teachers"], weights)
        young = split(OKTYABRSKY["young_specialists"], weights)
        students = split(OKTYABRSKY["students"], weights)
        self.oktyabrsky_sizes = list(zip(teachers, young, students, strict=True))
        existing = set(Headcount.objects.values_list("organization_id", "school_year"))
        rows = []
        for i, school in enumerate(schools):
            if i < 26:
                t, y, s = self.oktyabrsky_sizes[i]
            else:
                s = self.rng.randint(90, 900)
                t = max(8, s // 12)
                y = self.rng.randint(0, max(1, t // 8))
            change = self.rng.randint(-15, 25)  # drawn whatever the database holds: the plan stays the same
            for year, drift in ((2022, 0), (self.current_year, 1)):
                if (school.pk, year) in existing:
                    continue
                students_year = s + drift * change
                rows.append(
                    Headcount(
                        organization=school,
                        school_year=year,
                        teachers=t,
                        young_specialists=y,
                        students=students_year,
                        students_10_plus=int(students_year * 0.58),
                    )
                )
                existing.add((school.pk, year))
        bulk_create_with_history(rows, Headcount, batch_size=500)

    # ------------------------------------------------------------ mentorships

    def oktyabrsky(self, schools) -> None:
        weights = [size[2] for size in self.oktyabrsky_sizes]
        teacher_pupil = split(
            OKTYABRSKY["teacher_mentors_of_pupils"], [size[0] for size in self.oktyabrsky_sizes]
        )
        pupil_mentors = split(OKTYABRSKY["pupil_mentors"], weights)
        pupil_mentees = split(OKTYABRSKY["pupil_mentees"], weights)
        start = datetime.date(2022, 9, 1)
        end = datetime.date(2023, 5, 31)
        for i, school in enumerate(schools):
            teachers, young, _ = self.oktyabrsky_sizes[i]
            # «учитель – учитель»: every young specialist has an experienced teacher.
            for k in range(young):
                mentor = self.person(f"{school.code}/tt-mentor/{k}", school, Category.TEACHER)
                mentee = self.person(
                    f"{school.code}/young/{k}",
                    school,
                    Category.TEACHER,
                    teaching_experience=k % 2,
                    position="учитель (молодой специалист)",
                )
                self.mentorship(
                    f"{school.code}/tt/{k}",
                    school,
                    "teacher_teacher",
                    mentor,
                    [mentee],
                    status=Mentorship.Status.COMPLETED,
                    start_date=start,
                    agreement_date=start,
                    planned_end_date=end,
                    end_date=end,
                    mode=Mentorship.Mode.INDIVIDUAL,
                    goal="Адаптация молодого специалиста в коллективе и профессии",
                    result="Наставляемый успешно прошёл адаптационный период",
                )
            # «ученик – ученик»: pairs first, then groups of two, so that mentees come out exact.
            mentors_n, mentees_n = pupil_mentors[i], pupil_mentees[i]
            groups_of_two = mentees_n - mentors_n
            mentees = [
                self.person(
                    f"{school.code}/pupil-mentee/{k}", school, Category.STUDENT, age=self.rng.randint(10, 13)
                )
                for k in range(mentees_n)
            ]
            cursor = 0
            for k in range(mentors_n):
                mentor = self.person(
                    f"{school.code}/pupil-mentor/{k}", school, Category.STUDENT, age=self.rng.randint(14, 17)
                )
                size = 2 if k < groups_of_two else 1
                group = mentees[cursor : cursor + size]
                cursor += size
                self.mentorship(
                    f"{school.code}/ss/{k}",
                    school,
                    "student_student",
                    mentor,
                    group,
                    status=Mentorship.Status.COMPLETED,
                    start_date=datetime.date(2022, 10, 3),
                    end_date=end,
                    agreement_date=datetime.date(2022, 10, 3),
                    group_name=f"Группа {k + 1}" if size > 1 else "",
                    mode=Mentorship.Mode.GROUP if size > 1 else Mentorship.Mode.INDIVIDUAL,
                    goal="Повышение учебной мотивации и успеваемости",
                    result="Повышение успеваемости",
                )
            assert cursor == mentees_n, "pairs and groups must cover every mentee"
            # «учитель – ученик»: a teacher with a group of pupils (gifted children).
            for k in range(teacher_pupil[i]):
                mentor = self.person(f"{school.code}/tp-mentor/{k}", school, Category.TEACHER)
                group = [mentees[(k * 3 + j) % len(mentees)] for j in range(2)] if mentees else []
                if len(set(p.pk for p in group)) < 2:
                    group = group[:1]
                self.mentorship(
                    f"{school.code}/tp/{k}",
                    school,
                    "teacher_student",
                    mentor,
                    group,
                    status=Mentorship.Status.ACTIVE if k % 3 == 0 else Mentorship.Status.COMPLETED,
                    start_date=datetime.date(2022, 11, 14),
                    end_date=None if k % 3 == 0 else end,
                    agreement_date=datetime.date(2022, 11, 14),
                    mode=Mentorship.Mode.GROUP,
                    goal="Сопровождение одарённых обучающихся при подготовке к олимпиадам",
                )
            self.not_counted_on_30_12_2022(school, mentees)
            self.current_year_pairs(school, prefix="okt")

    def not_counted_on_30_12_2022(self, school, mentees) -> None:
        """Pairs around the seed date that the as-of rule must leave out."""
        mentor = self.person(f"{school.code}/pupil-mentor-2021", school, Category.STUDENT, age=16)
        # ended before the date
        self.mentorship(
            f"{school.code}/ss-2021",
            school,
            "student_student",
            mentor,
            mentees[:1],
            status=Mentorship.Status.COMPLETED,
            start_date=datetime.date(2021, 10, 1),
            end_date=datetime.date(2022, 5, 31),
        )
        # a draft, never counted
        self.mentorship(
            f"{school.code}/ss-draft",
            school,
            "student_student",
            mentor,
            mentees[1:2] or mentees[:1],
            status=Mentorship.Status.DRAFT,
            start_date=datetime.date(2022, 12, 20),
        )
        # started after the date
        self.mentorship(
            f"{school.code}/ss-2023",
            school,
            "student_student",
            mentor,
            mentees[2:3] or mentees[:1],
            status=Mentorship.Status.COMPLETED,
            start_date=datetime.date(2023, 1, 16),
            end_date=datetime.date(2023, 5, 31),
        )

    def current_year_pairs(self, school, prefix: str, pupils: int | None = None) -> None:
        start = datetime.date(self.current_year, 9, 1)
        end = datetime.date(self.current_year + 1, 5, 31)
        key = f"{school.code}/{self.current_year}"
        young = self.person(
            f"{key}/young",
            school,
            Category.TEACHER,
            teaching_experience=0,
            position="учитель (молодой специалист)",
            year=self.current_year,
        )
        mentor = self.person(f"{key}/tt-mentor", school, Category.TEACHER, year=self.current_year)
        self.mentorship(
            f"{key}/tt",
            school,
            "teacher_teacher",
            mentor,
            [young],
            status=Mentorship.Status.ACTIVE,
            start_date=start,
            planned_end_date=end,
            agreement_date=start if self.rng.random() < 0.8 else None,
            mode=Mentorship.Mode.INDIVIDUAL,
            goal="Адаптация молодого специалиста",
        )
        for k in range(pupils if pupils is not None else self.rng.randint(2, 5)):
            mentor = self.person(
                f"{key}/pupil-mentor/{k}", school, Category.STUDENT, age=15, year=self.current_year
            )
            mentee = self.person(
                f"{key}/pupil-mentee/{k}", school, Category.STUDENT, age=11, year=self.current_year
            )
            self.mentorship(
                f"{key}/ss/{k}",
                school,
                "student_student",
                mentor,
                [mentee],
                status=Mentorship.Status.ACTIVE,
                start_date=start,
                planned_end_date=end,
                agreement_date=start,
                mode=Mentorship.Mode.INDIVIDUAL,
                goal="Помощь в адаптации к обучению в основной школе",
            )
        draft_mentee = self.person(
            f"{key}/pupil-mentee/draft", school, Category.STUDENT, age=12, year=self.current_year
        )
        self.mentorship(
            f"{key}/ss/draft",
            school,
            "student_student",
            mentor,
            [draft_mentee],
            status=Mentorship.Status.DRAFT,
            start_date=start,
        )

    def other_municipalities(self, schools) -> None:
        for i, school in enumerate(schools):
            if i % 7 == 3:
                continue  # schools that lag: no pairs this year
            self.current_year_pairs(school, prefix="reg", pupils=1 + i % 3)

    def ooo_network(self, schools) -> None:
        """«ОО – ОО»: mentor schools paired with schools of low results (seed 000)."""
        pairs = [(schools[30], schools[31]), (schools[45], schools[47]), (schools[60], schools[62])]
        for k, (mentor_school, low_school) in enumerate(pairs):
            OrganizationStatus.objects.get_or_create(
                organization=low_school,
                kind=OrganizationStatus.Kind.LOW_RESULTS,
                start_date=datetime.date(2020, 9, 1),
                defaults={"basis": "перечень ШНОР 2020 года"},
            )
            OrganizationStatus.objects.get_or_create(
                organization=mentor_school,
                kind=OrganizationStatus.Kind.MENTOR_SCHOOL,
                start_date=datetime.date(2021, 1, 20),
                defaults={"basis": "приказ о сетевом взаимодействии"},
            )
            self.mentorship(
                f"ooo/{k}",
                mentor_school,
                "org_org",
                mentor_school,
                [low_school],
                status=Mentorship.Status.ACTIVE,
                start_date=datetime.date(2021, 1, 20),
                agreement_date=datetime.date(2021, 1, 20),
                goal="Повышение образовательных результатов ШНОР",
            )

    def save_plan(self) -> None:
        existing_people = set(Person.objects.filter(pk__in=self.plan.people).values_list("pk", flat=True))
        new_people = [p for pid, p in self.plan.people.items() if pid not in existing_people]
        bulk_create_with_history(new_people, Person, batch_size=500)
        wanted = [m.pk for m, _ in self.plan.mentorships]
        existing = set(Mentorship.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        services.mentorships_bulk_create(
            items=[(m, x) for m, x in self.plan.mentorships if m.pk not in existing]
        )

    # ------------------------------------------------------------ documents and regional registries

    def documents(self, region, municipalities, schools) -> None:
        def doc(key, **fields):
            NormativeDocument.objects.get_or_create(
                region=region,
                title=fields.pop("title"),
                date=fields.pop("date"),
                organization=fields.pop("organization", None),
                defaults=fields,
            )

        doc(
            "model",
            title="Об утверждении региональной целевой модели наставничества",
            date=datetime.date(2021, 10, 25),
            doc_type="order",
            level="regional",
            number="1479/1",
            issuer="Министерство образования",
        )
        doc(
            "operator",
            title="О назначении регионального оператора системы наставничества педагогических работников",
            date=datetime.date(2022, 11, 8),
            doc_type="order",
            level="regional",
            number="933-ОД",
            issuer="Министерство образования",
        )
        doc(
            "okt195",
            title="Об организации работы по внедрению Муниципальной целевой модели наставничества "
            "педагогических работников и обучающихся в общеобразовательных организациях",
            date=datetime.date(2021, 9, 15),
            doc_type="order",
            level="municipal",
            number="195",
            municipality=municipalities[0],
            issuer="Отдел образования Администрации Октябрьского района",
        )
        doc(
            "okt16",
            title="О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников",
            date=datetime.date(2022, 12, 16),
            doc_type="order",
            level="municipal",
            number="16",
            municipality=municipalities[0],
            issuer="МАУ «Информационно-методический кабинет»",
        )
        # Seed 003: 254 of the 340 schools published their «положение» by the site check of 04.04.2023.
        with_regulation = sorted(self.rng.sample(range(SCHOOLS_IN_REGION), SCHOOLS_WITH_REGULATION))
        for i in with_regulation:
            school = schools[i]
            doc(
                "reg",
                title="Положение о системе наставничества педагогических работников",
                date=datetime.date(2023, 2, 1) + datetime.timedelta(days=i % 40),
                organization=school,
                municipality=school.municipality,
                doc_type="regulation",
                level="organization",
                published_on_site=True,
                site_url=f"{school.site_url}nastavnichestvo/polozhenie.pdf",
            )
        # Seed 001: the school's package of five documents, all on the site.
        school = next(s for s in schools if s.code == CURATOR_SCHOOL_CODE)
        for title, doc_type, day in [
            ("Положение о наставничестве", "regulation", datetime.date(2020, 9, 1)),
            ("О внедрении целевой модели наставничества", "order", datetime.date(2020, 9, 1)),
            ("Целевая модель наставничества МБОУ «СОШ № 16»", "target_model", datetime.date(2020, 9, 1)),
            ("Дорожная карта внедрения целевой модели наставничества", "road_map", datetime.date(2020, 9, 1)),
            (
                "О назначении куратора, наставников и утверждении наставнических пар",
                "order",
                datetime.date(2020, 9, 14),
            ),
        ]:
            doc(
                "school",
                title=title,
                date=day,
                organization=school,
                municipality=school.municipality,
                doc_type=doc_type,
                level="organization",
                published_on_site=True,
                site_url=f"{school.site_url}nastavnichestvo/",
            )

    def courses(self, region, schools) -> None:
        teachers = list(
            Person.objects.filter(organization__in=schools[:26], category=Category.TEACHER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for title, provider, start, end, schedule, trained, reported in [
            (
                "Наставничество как универсальная технология передачи опыта",
                "ИРО (ЦНППМ)",
                datetime.date(2021, 1, 18),
                datetime.date(2021, 1, 29),
                "январь 2021 года",
                75,
                None,
            ),
            (
                "Организация наставничества педагогических работников в образовательной организации",
                "ЦНППМ",
                datetime.date(2023, 1, 24),
                datetime.date(2023, 3, 24),
                "24.01–31.01.2023 и 21.02–24.03.2023",
                30,
                None,
            ),
            (
                "Наставничество в образовательной организации",
                "Академия Минпросвещения России",
                datetime.date(2023, 2, 1),
                datetime.date(2023, 5, 31),
                "февраль – май 2023 года",
                0,
                100,
            ),
        ]:
            course, _ = TrainingCourse.objects.get_or_create(
                region=region,
                title=title,
                defaults={
                    "provider": provider,
                    "start_date": start,
                    "end_date": end,
                    "schedule": schedule,
                    "hours": 36,
                    "audience": "педагоги-наставники",
                    "reported_trained_count": reported,
                },
            )
            done = set(course.completions.values_list("person_id", flat=True))
            TrainingCompletion.objects.bulk_create(
                [
                    TrainingCompletion(course=course, person_id=pid, completed_on=end)
                    for pid in teachers[:trained]
                    if pid not in done
                ]
            )

    def contest(self, region, schools, others) -> None:
        contest, _ = Contest.objects.get_or_create(
            region=region,
            title="Педагогический дуэт",
            defaults={
                "start_date": datetime.date(2023, 4, 3),
                "end_date": datetime.date(2023, 4, 28),
                "goal": "Выявление и распространение лучших практик наставничества",
                "nominations": "Лучшая пара «опытный педагог – молодой специалист»",
            },
        )
        if contest.entries.exists():
            return
        participants = others["preschools"] + schools[40:55] + [others["additional"]]  # 10 + 15 + 1
        ContestEntry.objects.bulk_create(
            [
                ContestEntry(
                    contest=contest,
                    organization=org,
                    title=f"Пара «{org.short_name}»",
                    result=ContestEntry.Result.WINNER if k == 18 else ContestEntry.Result.PARTICIPANT,
                )
                for k, org in enumerate(participants)
            ]
        )

    def practices(self, region, schools) -> None:
        form = self.forms["experienced_young"]
        existing = set(PracticeBankEntry.objects.filter(region=region).values_list("title", flat=True))
        PracticeBankEntry.objects.bulk_create(
            [
                PracticeBankEntry(
                    region=region,
                    organization=schools[60 + k],
                    mentoring_form=form,
                    title=f"Практика пары «молодой педагог – опытный педагог» № {k + 1}",
                    description="Совместное проектирование уроков и взаимопосещения",
                    submitted_on=datetime.date(2023, 6, 1),
                    status=PracticeBankEntry.Status.PUBLISHED,
                )
                for k in range(26)
                if f"Практика пары «молодой педагог – опытный педагог» № {k + 1}" not in existing
            ]
        )

    def methodists(self, region, schools) -> None:
        people = [
            self.person(
                f"methodist/{k}",
                schools[100 + k * 3],
                Category.TEACHER,
                position="учитель, региональный методист",
            )
            for k in range(73)
        ]
        existing = set(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
        bulk_create_with_history([p for p in people if p.pk not in existing], Person)
        listed = set(MethodistRegistryEntry.objects.filter(region=region).values_list("person_id", flat=True))
        MethodistRegistryEntry.objects.bulk_create(
            [
                MethodistRegistryEntry(
                    region=region,
                    person=p,
                    specialization="сопровождение ИПН",
                    contract_start=datetime.date(2023, 2, 1),
                    contract_end=datetime.date(2023, 12, 31),
                )
                for p in people
                if p.pk not in listed
            ]
        )

    # ------------------------------------------------------------ the pairs' plans (ИПН)

    PLAN_SCHOOLS = (CURATOR_SCHOOL_CODE, "D0101", "D0102")

    def mentoring_plans(self, region) -> None:
        """This year's «учитель – учитель» pairs of the curator's school and two neighbours get a plan
        (docs/domain.md §4.1): two tasks done, the rest planned; one task overdue, in the curator's
        school only. A pair that already has a plan is left as it is, so a second run adds nothing."""
        today = self.today
        for k, code in enumerate(self.PLAN_SCHOOLS):
            pair = Mentorship.objects.filter(
                pk=self.uid("mentorship", f"{code}/{self.current_year}/tt")
            ).first()
            if pair is None or MentoringPlan.objects.filter(mentorship=pair).exists():
                continue
            methodist = MethodistRegistryEntry.objects.filter(
                region=region, person_id=self.uid("person", f"methodist/{k}")
            ).first()
            plan = plans.plan_save(
                mentorship=pair,
                deficits="Планирование урока по ФГОС, дисциплина на уроке, работа с родителями",
                goals="Адаптация молодого специалиста в коллективе; самостоятельное ведение уроков",
                support_hours=36 + 12 * k,
                methodist=methodist,
            )
            start, day = pair.start_date, datetime.timedelta(days=1)
            done = [
                (
                    "Знакомство с ООП, локальными актами и традициями школы",
                    start + 14 * day,
                    "Лист знакомства",
                ),
                ("Посещение уроков наставника (не менее 4)", start + 45 * day, "Анализ посещённых уроков"),
            ]
            for task, deadline, result in done:
                plans.plan_item_add(
                    plan=plan,
                    task=task,
                    deadline=deadline,
                    expected_result=result,
                    status=PlanItem.Status.DONE,
                    done_on=min(deadline - 2 * day, today),
                    today=today,
                )
            planned = [
                ("Открытый урок для методического объединения", today + 21 * day, "Самоанализ урока"),
                ("Портфолио молодого специалиста", today + 60 * day, "Портфолио"),
            ]
            if code == CURATOR_SCHOOL_CODE:
                # overdue: still planned a week after its deadline (the day before, if the pair began today)
                late = today - max(1, min(7, (today - start).days)) * day
                planned.append(("Технологическая карта урока с наставником", late, "Технологическая карта"))
            else:
                planned.append(("Участие в конкурсе «Педагогический дебют»", today + 30 * day, "Заявка"))
            for task, deadline, result in planned:
                plans.plan_item_add(
                    plan=plan, task=task, deadline=deadline, expected_result=result, today=today
                )
            if code != CURATOR_SCHOOL_CODE:
                item = plan.items.get(task__startswith="Участие в конкурсе")
                plans.plan_item_update(item=item, status=PlanItem.Status.CANCELLED, today=today)

    PLAN_TEMPLATE_TITLE = "План первого года молодого педагога"
    PLAN_TEMPLATE_ITEMS = (
        ("Знакомство с ООП, локальными актами и традициями школы", "Лист знакомства", 14),
        ("Посещение уроков наставника (не менее 4)", "Анализ посещённых уроков", 45),
        ("Технологическая карта урока с наставником", "Технологическая карта", 75),
        ("Работа с родителями: подготовка и проведение родительского собрания", "План собрания", 120),
        ("Открытый урок для методического объединения", "Самоанализ урока", 180),
        ("Портфолио молодого специалиста", "Портфолио", 250),
    )

    def plan_templates(self, region) -> None:
        """The region's template «План первого года молодого педагога» for «учитель – учитель»
        (docs/domain.md §4.1); a second run finds it and adds nothing."""
        template, created = PlanTemplate.objects.get_or_create(
            region=region,
            mentoring_form=self.forms["teacher_teacher"],
            title=self.PLAN_TEMPLATE_TITLE,
            defaults={
                "deficits": "Планирование урока по ФГОС, дисциплина на уроке, работа с родителями",
                "goals": "Адаптация молодого специалиста в коллективе; самостоятельное ведение уроков",
            },
        )
        if created:
            bulk_create_with_history(
                [
                    PlanTemplateItem(template=template, task=task, expected_result=result, deadline_days=days)
                    for task, result, days in self.PLAN_TEMPLATE_ITEMS
                ],
                PlanTemplateItem,
            )

    # ------------------------------------------------------------ the pairs' meetings

    # (pair key under «<school>/<year>/», how many weeks ago the last meeting was)
    MEETING_PAIRS = (
        (CURATOR_SCHOOL_CODE, "tt", 1),
        (CURATOR_SCHOOL_CODE, "ss/0", 7),
        (CURATOR_SCHOOL_CODE, "ss/1", 2),
        ("D0101", "tt", 6),
        ("D0102", "tt", 0),
    )
    MEETING_TOPICS = (
        "Знакомство, ожидания от наставничества",
        "Разбор посещённого урока",
        "Подготовка технологической карты урока",
        "Работа с родителями: трудный случай",
        "Самоанализ урока",
    )

    def meetings(self) -> None:
        """This year's pairs of the curator's school and two neighbours meet every two weeks from
        their start until some weeks ago (docs/domain.md §4.2): the curator's «учитель – учитель»
        pair met last week; its first pupils' pair and the neighbour D0101's teachers have not met
        for six weeks or more, so they are «без встреч». The first meetings touch the plan's done
        tasks. A pair that already has a meeting is left as it is, so a second run adds nothing."""
        today, fortnight = self.today, datetime.timedelta(weeks=2)
        for code, key, weeks_ago in self.MEETING_PAIRS:
            pair = Mentorship.objects.filter(
                pk=self.uid("mentorship", f"{code}/{self.current_year}/{key}")
            ).first()
            if pair is None or pair.meetings.exists():
                continue
            last = today - datetime.timedelta(weeks=weeks_ago)
            day = pair.start_date + datetime.timedelta(days=3)
            dates = []
            while day <= last:
                dates.append(day)
                day += fortnight
            if dates and dates[-1] != last and (last - pair.start_date).days >= 0:
                dates.append(last)
            done = list(
                PlanItem.objects.filter(plan__mentorship=pair, status=PlanItem.Status.DONE).order_by(
                    "deadline"
                )
            )
            for k, date in enumerate(dates):
                meetings.meeting_record(
                    mentorship=pair,
                    date=date,
                    format=Meeting.Format.REMOTE if k % 3 == 2 else Meeting.Format.IN_PERSON,
                    duration_minutes=(45, 40, 60)[k % 3],
                    topic=self.MEETING_TOPICS[k % len(self.MEETING_TOPICS)],
                    agreed="Наставляемый готовит план следующего урока; наставник посещает его",
                    plan_items=done[k : k + 1],
                    today=today,
                )

    def bases(self, schools) -> None:
        """Everybody in a mentorship stands in the base of their organization."""
        existing = set(BaseMembership.objects.values_list("person_id", "base"))
        rows = []
        for mentorship, mentees in self.plan.mentorships:
            mentor = mentorship.mentor_person
            if mentor and (mentor.pk, "mentors") not in existing:
                existing.add((mentor.pk, "mentors"))
                rows.append(
                    BaseMembership(
                        organization_id=mentor.organization_id,
                        person=mentor,
                        base="mentors",
                        trained_as_mentor=mentor.category == Category.TEACHER,
                        included_on=mentorship.start_date,
                    )
                )
            for mentee in mentees:
                if isinstance(mentee, Person) and (mentee.pk, "mentees") not in existing:
                    existing.add((mentee.pk, "mentees"))
                    rows.append(
                        BaseMembership(
                            organization_id=mentee.organization_id,
                            person=mentee,
                            base="mentees",
                            included_on=mentorship.start_date,
                        )
                    )
        bulk_create_with_history(rows, BaseMembership, batch_size=500)

    # ------------------------------------------------------------ accounts

    def accounts(self, region, municipality, school) -> list[tuple[str, str, str]]:
        User = get_user_model()
        spec = [
            ("admin", "Администратор", "портала", UserScope.Role.ADMIN, {}),
            ("operator", "Региональный", "оператор", UserScope.Role.OPERATOR, {"region": region}),
            (
                "coordinator",
                "Муниципальный",
                "координатор",
                UserScope.Role.COORDINATOR,
                {"municipality": municipality},
            ),
            ("curator", "Куратор", "ОО", UserScope.Role.CURATOR, {"organization": school}),
        ]
        result = []
        for username, first, last, role, territory in spec:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.is_staff = role == UserScope.Role.ADMIN
            user.is_superuser = role == UserScope.Role.ADMIN
            user.set_password(PASSWORD)
            user.save()
            UserScope.objects.update_or_create(
                user=user,
                defaults={
                    "role": role,
                    "organization": None,
                    "municipality": None,
                    "region": None,
                    "person": None,
                    "email_confirmed_at": timezone.now(),  # the demo's accounts are not asked
                    **territory,
                },
            )
            result.append((username, UserScope.Role(role).label, str(next(iter(territory.values()), "все"))))
        mentor = self.demo_mentor(school)
        if mentor is not None:
            result.append(mentor)
        return result

    def demo_mentor(self, school) -> tuple[str, str, str] | None:
        """«mentor»: the teacher who mentors the curator's school's «учитель – учитель» pair of this
        year, the pair with a plan and meetings; its own account sees only its pairs."""
        pair = (
            Mentorship.objects.filter(pk=self.uid("mentorship", f"{school.code}/{self.current_year}/tt"))
            .select_related("mentor_person")
            .first()
        )
        if pair is None or pair.mentor_person is None:
            return None
        person = pair.mentor_person
        User = get_user_model()
        user, _ = User.objects.get_or_create(username="mentor")
        parts = person.full_name.split()
        user.last_name, user.first_name = parts[0], " ".join(parts[1:])
        user.is_staff = user.is_superuser = False
        user.is_active = True
        user.set_password(PASSWORD)
        user.save()
        UserScope.objects.filter(person=person).exclude(user=user).delete()
        UserScope.objects.update_or_create(
            user=user,
            defaults={
                "role": UserScope.Role.MENTOR,
                "organization": None,
                "municipality": None,
                "region": None,
                "person": person,
                "email_confirmed_at": timezone.now(),  # the demo's accounts are not asked
            },
        )
        return ("mentor", UserScope.Role.MENTOR.label, f"{person.full_name}, {school}")


def seed_demo(today: datetime.date | None = None) -> dict:
    with transaction.atomic():
        return DemoBuilder(today).build()
