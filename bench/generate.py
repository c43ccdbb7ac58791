"""Create the national-scale benchmark database for the counting selectors.

    .venv/bin/python bench/generate.py [--scale 1.0] [--database mentoring_bench] [--seed 2024]

Drops and recreates the database, runs Django's migrations on it, then streams seeded random
data into it with COPY: 85 regions, ~2,300 municipalities, 41,000 organizations, 2,000,000
people, a 2024 headcount per organization and 1,000,000 mentorships with ~1.2 links each (the
links carry the mentorship's copied fields exactly as ``services.mentorship_sync_links`` writes
them), then every active pair's plan and meetings and a survey round per region (``activity.py``,
with the ORM's bulk_create). Every named constraint of ``registry/models.py`` holds; the foreign
keys are checked by PostgreSQL at each table's commit. History tables stay empty. Same seed and
scale, same data.
"""

import argparse
import datetime
import io
import random
import sys
import tempfile
import time
import uuid
from array import array
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate

import activity
from benchdb import DEFAULT_DATABASE, maintenance_connection, setup_django
from psycopg import sql

# ---------------------------------------------------------------- sizes at scale 1.0

REGIONS = 85
MUNICIPALITIES = 2_300
ORGANIZATIONS = 41_000
PEOPLE = 2_000_000
MENTORSHIPS = 1_000_000
ORG_ORG_SHARE = 0.01  # mentorships between organizations («ОО – ОО»)
GROUP_SHARE = 0.10  # mentorships with 2-4 mentees: ~1.2 links per mentorship
HEADCOUNT_YEAR = 2024

# org_type: (share of organizations, relative size, {category: share of the non-head people})
ORG_TYPES = {
    "school": (0.740, 1.0, {"teacher": 0.2, "student": 0.8}),
    "preschool": (0.120, 0.5, {"teacher": 1.0}),
    "additional": (0.060, 0.6, {"teacher": 0.3, "student": 0.7}),
    "college": (0.040, 2.0, {"teacher": 0.15, "college_student": 0.85}),
    "university": (0.005, 3.0, {"teacher": 0.15, "college_student": 0.85}),
    "dpo": (0.005, 0.4, {"teacher": 1.0}),
    "methodical_service": (0.015, 0.3, {"teacher": 1.0}),
    "authority": (0.005, 0.2, {"teacher": 1.0}),
    "employer": (0.010, 0.2, {"employer_rep": 1.0}),
}
# Forms of mentoring by organization type (weights); a form an organization cannot staff is skipped.
FORM_MIX = {
    "school": {
        "teacher_teacher": 34,
        "student_student": 26,
        "teacher_student": 28,
        "experienced_young": 6,
        "peer_teachers": 3,
        "head_teacher": 3,
    },
    "preschool": {"teacher_teacher": 70, "experienced_young": 20, "head_teacher": 10},
    "additional": {"teacher_student": 50, "student_student": 30, "teacher_teacher": 20},
    "college": {"college_college": 50, "teacher_teacher": 50},
    "university": {"college_college": 60, "teacher_teacher": 40},
    "dpo": {"teacher_teacher": 100},
    "methodical_service": {"teacher_teacher": 100},
    "authority": {"teacher_teacher": 100},
}
# status: (share, version: a closed mentorship went through one transition)
STATUSES = {"active": (0.68, 1), "completed": (0.18, 2), "terminated": (0.05, 2), "draft": (0.09, 1)}
MODES = ["individual"] * 16 + [""] * 2 + ["virtual", "reverse", "situational", "short_term"]
GOALS = [
    "Адаптация молодого специалиста",
    "Повышение предметных результатов",
    "Подготовка к олимпиаде",
    "Развитие проектной деятельности",
    "Профориентация",
]
ORG_ORG_GOAL = "Обмен опытом между организациями"
TERMINATION_REASONS = ["Увольнение наставника", "Перевод наставляемого в другую ОО", "По заявлению"]
SUBJECTS = "математика|русский язык|физика|химия|биология|история|информатика|английский язык".split("|")
POSITIONS = {"teacher": "учитель", "head": "директор", "employer_rep": "специалист"}
SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
    "Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов "
    "Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв"
).split()
FIRST_NAMES = (
    (
        "Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл Михаил Никита Матвей Роман "
        "Егор Арсений Иван Денис Евгений Даниил Тимофей Владимир Павел Николай Глеб"
    ).split(),
    (
        "Анна Мария Елена Дарья Алина Ирина Екатерина Арина Полина Ольга Юлия Татьяна Наталья Виктория "
        "Елизавета Анастасия Марина Светлана Ксения Вера Софья Алиса Валерия Людмила"
    ).split(),
)
PATRONYMICS = (
    "Александров Дмитриев Сергеев Андреев Алексеев Михайлов Николаев Иванов Викторов Владимиров "
    "Петров Юрьев Олегов Игорев Павлов Евгеньев Васильев Борисов Анатольев Геннадьев"
).split()
PATRONYMIC_ENDINGS = ("ич", "на")

# Birth years (inclusive range) and teaching experience bounds by category.
BIRTH_YEARS = {
    "student": (2007, 2018),
    "college_student": (2004, 2009),
    "teacher": (1960, 2002),
    "head": (1960, 1990),
    "employer_rep": (1965, 2000),
}

FIRST_DAY = datetime.date(1958, 1, 1)
LAST_DAY = datetime.date(2027, 12, 31)
DAYS = [(FIRST_DAY + datetime.timedelta(n)).isoformat() for n in range((LAST_DAY - FIRST_DAY).days + 1)]
NULL = "\\N"
# Person's consent to processing (152-ФЗ), added to the model by the personal-data change: written
# when registry.models.Person has these columns, left out while it has not (see Loader.load).
CONSENT_COLUMNS = ("consent_date", "consent_giver", "consent_text_version")
CONSENT_TEXT_VERSION = "2024-1"
CONSENT_LAST_DAY = datetime.date(2024, 9, 2)
CONSENT_SPREAD_DAYS = 365
CATEGORIES = ["student", "college_student", "teacher", "head", "employer_rep", "graduate"]
CHUNK = 1 << 20  # characters per COPY write


def day(value: datetime.date) -> int:
    return (value - FIRST_DAY).days


MENTORSHIP_FIRST_START = day(datetime.date(2021, 9, 1))
ACTIVE_FIRST_START = day(datetime.date(2023, 9, 1))
LAST_START = day(datetime.date(2025, 5, 31))
DRAFT_FIRST_START = day(datetime.date(2025, 1, 10))
DRAFT_LAST_START = day(datetime.date(2025, 9, 30))
LAST_END = day(datetime.date(2025, 8, 31))


# ---------------------------------------------------------------- helpers


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each ≥ ``minimum``."""
    minimum = min(minimum, total // len(weights))
    rest = total - minimum * len(weights)
    scale = rest / sum(weights)
    exact = [w * scale for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])
    for i in by_remainder[: rest - sum(shares)]:
        shares[i] += 1
    return [minimum + s for s in shares]


def uuid_string(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class CopyWriter:
    """Buffers tab-separated lines and streams them into one COPY. Our text holds no tab,
    newline or backslash, so no escaping is needed; ``NULL`` is written as ``\\N``."""

    def __init__(self, copy, width: int | None = None):
        self.copy = copy
        self.width = width  # write only the first ``width`` values of each row (columns the model lacks)
        self.lines: list[str] = []
        self.size = 0
        self.rows = 0

    def row(self, *values: str) -> None:
        line = "\t".join(values if self.width is None else values[: self.width])
        self.lines.append(line)
        self.size += len(line) + 1
        self.rows += 1
        if self.size >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.lines.append("")
            self.copy.write("\n".join(self.lines))
            self.lines, self.size = [], 0


@dataclass
class Org:
    id: int
    municipality_id: int
    org_type: str
    people: int = 0
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # category -> (first, count)
    young: int = 0  # teachers with < 3 years' experience in the registry


class Loader:
    """Generates and COPYs the tables in dependency order, one transaction per table."""

    def __init__(self, conn, scale: float, seed: int):
        self.conn = conn
        self.scale = scale
        self.seed = seed
        self.timings: list[tuple[str, int, float]] = []
        self.orgs: list[Org] = []
        self.municipality_orgs: dict[int, list[int]] = {}  # municipality id -> org indexes
        self.person_ids = bytearray()  # 16 bytes per person, in generation order
        self.forms: dict[str, dict] = {}

    def rng(self, table: str) -> random.Random:
        """One RNG per table, so a change to one table's generator does not shift the others."""
        return random.Random(f"{self.seed}:{table}")

    def person_uuid(self, index: int) -> str:
        return str(uuid.UUID(bytes=bytes(self.person_ids[16 * index : 16 * index + 16])))

    def load(self, model, columns: list[str], rows_into, pending: tuple[str, ...] = ()) -> None:
        """COPY into ``model``'s table the rows ``rows_into(writer)`` writes; commit; time it.

        ``pending`` names trailing columns that a branch not merged yet adds to the model: they are
        written when the model has them and dropped (from the column list and every row) when it
        has none of them, so the generator works on both sides of that merge.
        """
        table = model._meta.db_table
        expected = {f.column for f in model._meta.concrete_fields}
        width = None
        if pending:
            if columns[-len(pending) :] != list(pending):
                raise ValueError("pending columns must come last")
            if not expected & set(pending):
                columns = columns[: -len(pending)]
                width = len(columns)
        if set(columns) != expected:
            raise SystemExit(
                f"{table}: the model's columns changed; missing {sorted(expected - set(columns))}, "
                f"unknown {sorted(set(columns) - expected)}. Update bench/generate.py."
            )
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        started = time.perf_counter()
        with self.conn.transaction(), self.conn.cursor() as cursor, cursor.copy(statement) as copy:
            writer = CopyWriter(copy, width)
            rows_into(writer)
            writer.flush()
        # the deferred foreign keys were checked at the commit above
        self.timings.append((table, writer.rows, time.perf_counter() - started))
        print(f"  {table:<32} {writer.rows:>10,} rows {self.timings[-1][2]:8.1f} s", flush=True)

    # ------------------------------------------------------------ territory and organizations

    def territory(self):
        from registry.models import Municipality, Organization, Region, organization_search_name

        rng = self.rng("territory")
        n_municipalities = max(REGIONS, round(MUNICIPALITIES * self.scale))
        n_orgs = max(n_municipalities, round(ORGANIZATIONS * self.scale))
        region_weight = [rng.lognormvariate(0, 0.75) for _ in range(REGIONS)]
        munis_per_region = apportion(n_municipalities, [w**0.6 for w in region_weight], minimum=3)
        orgs_per_region = apportion(n_orgs, region_weight, minimum=max(munis_per_region))

        def regions(w):
            for r in range(1, REGIONS + 1):
                w.row(str(r), f"{r:02d}", f"Регион {r:02d}", f"Министерство образования региона {r:02d}")

        self.load(Region, ["id", "code", "name", "education_authority"], regions)

        # (municipality id, region id, organizations, number within the region)
        self.municipality_plan: list[tuple[int, int, int, int]] = []
        muni_id = 0
        for r in range(1, REGIONS + 1):
            weights = [rng.lognormvariate(0, 1.0) for _ in range(munis_per_region[r - 1])]
            for k, count in enumerate(apportion(orgs_per_region[r - 1], weights, minimum=1), start=1):
                muni_id += 1
                self.municipality_plan.append((muni_id, r, count, k))

        def municipalities(w):
            for muni_id, region_id, _, k in self.municipality_plan:
                name = f"Муниципальный округ {region_id:02d}-{k:03d}"
                w.row(
                    str(muni_id),
                    str(region_id),
                    f"{region_id:02d}-{k:03d}",
                    name,
                    f"Управление: {name}",
                    f"ИМК: {name}",
                )

        self.load(
            Municipality,
            ["id", "region_id", "code", "name", "education_authority", "methodical_service"],
            municipalities,
        )

        types = list(ORG_TYPES)
        cumulative = list(accumulate(ORG_TYPES[t][0] for t in types))
        statuses = ["not_started", "preparation", "implementation", "implementation", "completed"]

        def organizations(w):
            for muni_id, region_id, count, k in self.municipality_plan:
                indexes = self.municipality_orgs.setdefault(muni_id, [])
                for n in range(1, count + 1):
                    org_type = types[min(bisect(cumulative, rng.random() * cumulative[-1]), len(types) - 1)]
                    org = Org(id=len(self.orgs) + 1, municipality_id=muni_id, org_type=org_type)
                    indexes.append(len(self.orgs))
                    self.orgs.append(org)
                    status = rng.choice(statuses)
                    since = (
                        NULL
                        if status == "not_started"
                        else DAYS[day(datetime.date(2021, 9, 1)) + rng.randrange(1200)]
                    )
                    full_name, short_name = f"Организация {org.id} ({org_type})", f"ОО {org.id}"
                    w.row(
                        str(org.id),
                        f"{region_id:02d}{k:03d}{n:04d}",
                        full_name,
                        short_name,
                        str(muni_id),
                        org_type,
                        f"https://oo{org.id}.example.ru",
                        status,
                        since,
                        organization_search_name(short_name, full_name),
                        "1",
                    )

        self.load(
            Organization,
            [
                "id",
                "code",
                "full_name",
                "short_name",
                "municipality_id",
                "org_type",
                "site_url",
                "model_status",
                "model_status_since",
                "search_name",
                "version",
            ],
            organizations,
        )

    # ------------------------------------------------------------ people and headcounts

    def people(self):
        from registry.models import Person

        rng = self.rng("people")
        # A separate stream for the consent, so the people themselves stay what they were before it.
        self.consent_rng = self.rng("consent")
        n_people = max(4 * len(self.orgs), round(PEOPLE * self.scale))
        sizes = apportion(
            n_people, [ORG_TYPES[o.org_type][1] * rng.lognormvariate(0, 0.6) for o in self.orgs], minimum=4
        )
        self.person_ids = bytearray(16 * n_people)
        # What services.mentee_link_fields copies onto links: category, experience, birth day.
        self.person_category = bytearray(n_people)
        self.person_experience = bytearray(n_people)  # 255: none
        self.person_birth = array("i", bytes(4 * n_people))
        stamp = "2024-09-02 10:00:00+03"

        def rows(w):
            index = 0
            for org, size in zip(self.orgs, sizes, strict=True):
                org.people = size
                mix = ORG_TYPES[org.org_type][2]
                heads = 0 if "employer_rep" in mix else (2 if size >= 100 else 1)
                counts = {"head": heads} if heads else {}
                counts.update(zip(mix, apportion(size - heads, list(mix.values())), strict=True))
                names: set[str] = set()
                for category, count in counts.items():
                    org.ranges[category] = (index, count)
                    for _ in range(count):
                        w.row(*self.person_row(rng, org, category, index, names, stamp))
                        index += 1

        self.load(
            Person,
            [
                "id",
                "organization_id",
                "full_name",
                "birth_date",
                "category",
                "position",
                "subject",
                "grade",
                "teaching_experience",
                "email",
                "phone",
                "search_name",
                "version",
                "created_at",
                "updated_at",
                *CONSENT_COLUMNS,
            ],
            rows,
            pending=CONSENT_COLUMNS,
        )

    def person_row(self, rng, org: Org, category: str, index: int, names: set[str], stamp: str) -> list[str]:
        from common.text import fold  # after setup_django has put the project on the path

        person_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        self.person_ids[16 * index : 16 * index + 16] = person_id.bytes
        sex = rng.getrandbits(1)
        while True:  # (organization, full_name, birth_date) is unique; we keep full_name unique per org
            surname = rng.choice(SURNAMES) + ("а" if sex else "")
            patronymic = rng.choice(PATRONYMICS) + PATRONYMIC_ENDINGS[sex]
            name = f"{surname} {rng.choice(FIRST_NAMES[sex])} {patronymic}"
            if name not in names:
                names.add(name)
                break
        first_year, last_year = BIRTH_YEARS[category]
        year = rng.randint(first_year, last_year)
        birth_day = day(datetime.date(year, 1, 1)) + rng.randrange(365)
        birth = DAYS[birth_day]
        experience, subject, grade = NULL, "", ""
        if category in ("teacher", "head"):
            max_experience = min(45, 2024 - year - 21)
            young = category == "teacher" and rng.random() < 0.12
            years = rng.randint(0, 2) if young else rng.randint(min(3, max_experience), max_experience)
            org.young += category == "teacher" and years < 3
            experience = str(years)
            subject = rng.choice(SUBJECTS) if category == "teacher" else ""
        elif category == "student":
            grade = f"{min(11, max(1, 2024 - year - 6))}{rng.choice('АБВ')}"
        self.person_category[index] = CATEGORIES.index(category)
        self.person_experience[index] = 255 if experience == NULL else int(experience)
        self.person_birth[index] = birth_day
        # 152-ФЗ consent: given when the person entered the registry, by a parent for a minor.
        consent_day = day(CONSENT_LAST_DAY) - self.consent_rng.randrange(CONSENT_SPREAD_DAYS)
        minor = category == "student" or birth_day > consent_day - 18 * 365
        giver = ""
        if minor:
            parent_sex = self.consent_rng.getrandbits(1)
            parent_surname = surname[:-1] if sex and not parent_sex else surname
            if parent_sex and not sex:
                parent_surname += "а"
            giver = (
                f"{parent_surname} {self.consent_rng.choice(FIRST_NAMES[parent_sex])} "
                f"{self.consent_rng.choice(PATRONYMICS)}{PATRONYMIC_ENDINGS[parent_sex]}"
            )
        return [
            str(person_id),
            str(org.id),
            name,
            birth,
            category,
            POSITIONS.get(category, ""),
            subject,
            grade,
            experience,
            "",
            "",
            fold(name),  # Person.search_name: what save() would write
            "1",
            stamp,
            stamp,
            DAYS[consent_day],
            giver,
            CONSENT_TEXT_VERSION,
        ]

    def headcounts(self):
        from registry.models import Headcount

        rng = self.rng("headcounts")

        def rows(w):
            for org in self.orgs:
                teachers_known = sum(org.ranges.get(c, (0, 0))[1] for c in ("teacher", "head"))
                students_known = sum(org.ranges.get(c, (0, 0))[1] for c in ("student", "college_student"))
                teachers = round(teachers_known * rng.uniform(1.2, 2.5))
                # At least the registry's own young specialists: a school's monitoring form checks
                # that its young mentees do not outnumber the headcount's young specialists.
                young = min(teachers, max(org.young, round(teachers * rng.uniform(0.05, 0.2))))
                students = round(students_known * rng.uniform(3, 8))
                ten_plus = str(round(students * rng.uniform(0.5, 0.7))) if students else NULL
                w.row(
                    str(org.id),
                    str(org.id),
                    str(HEADCOUNT_YEAR),
                    str(teachers),
                    str(young),
                    str(students),
                    ten_plus,
                )

        self.load(
            Headcount,
            [
                "id",
                "organization_id",
                "school_year",
                "teachers",
                "young_specialists",
                "students",
                "students_10_plus",
            ],
            rows,
        )

    # ------------------------------------------------------------ mentorships and links

    def read_forms(self):
        from registry.models import MentoringForm

        rows = MentoringForm.objects.values("id", "code", "mentor_categories", "mentee_categories")
        self.forms = {f["code"]: f for f in rows}
        missing = {code for mix in FORM_MIX.values() for code in mix} - set(self.forms) - {"org_org"}
        if missing or "org_org" not in self.forms:
            raise SystemExit(f"forms missing from registry_mentoringform: {sorted(missing | {'org_org'})}")

    def staffing(self, org: Org) -> list[tuple[int, list, list, float]]:
        """The forms ``org`` can staff: (form id, mentor ranges, mentee ranges, weight)."""
        result = []
        for code, weight in FORM_MIX.get(org.org_type, {}).items():
            form = self.forms[code]
            mentors = [org.ranges[c] for c in form["mentor_categories"] if org.ranges.get(c, (0, 0))[1]]
            mentees = [org.ranges[c] for c in form["mentee_categories"] if org.ranges.get(c, (0, 0))[1]]
            n_mentors, n_mentees = sum(r[1] for r in mentors), sum(r[1] for r in mentees)
            if n_mentors and n_mentees and not (n_mentors == n_mentees == 1 and mentors == mentees):
                result.append((form["id"], mentors, mentees, weight))
        return result

    def mentorships(self, links_file: io.TextIOBase):
        """Mentorships in random organization order (as real data arrives), links into ``links_file``."""
        from registry.models import Mentorship

        rng = self.rng("mentorships")
        self.read_forms()
        n_total = round(MENTORSHIPS * self.scale)
        n_org_org = round(n_total * ORG_ORG_SHARE)
        staffing = [self.staffing(org) for org in self.orgs]
        cumulative = [list(accumulate(s[3] for s in forms)) for forms in staffing]
        eligible = [i for i, forms in enumerate(staffing) if forms]
        per_org = apportion(n_total - n_org_org, [self.orgs[i].people for i in eligible])
        slots = array("i", [-1] * n_org_org)  # -1: a mentorship between organizations
        for i, count in zip(eligible, per_org, strict=True):
            slots.extend([i] * count)
        rng.shuffle(slots)
        schools = [i for i, org in enumerate(self.orgs) if org.org_type == "school"]
        status_names = list(STATUSES)
        status_cumulative = list(accumulate(s[0] for s in STATUSES.values()))
        active_people: set[int] = set()  # (mentor, mentee, form) packed: one active link each
        active_orgs: set[tuple[int, int, int]] = set()
        self.link_rows = 0

        def pick(ranges) -> int:
            n = rng.randrange(sum(r[1] for r in ranges))
            for first, count in ranges:
                if n < count:
                    return first + n
                n -= count
            raise AssertionError

        def rows(w):
            for slot in slots:
                mentorship_id = uuid_string(rng)
                status = status_names[bisect(status_cumulative, rng.random() * status_cumulative[-1])]
                group = rng.random() < GROUP_SHARE
                if slot == -1:
                    org, form_id, mentor, mentees, status = self.org_org(rng, schools, active_orgs, status)
                    mentor_person, mentor_org = NULL, str(org.id)
                    mentee_people, mentee_orgs = [], [str(self.orgs[m].id) for m in mentees]
                    group = False
                else:
                    org = self.orgs[slot]
                    form_id, mentor_ranges, mentee_ranges, _ = staffing[slot][
                        bisect(cumulative[slot], rng.random() * cumulative[slot][-1])
                    ]
                    mentor, mentees, status = self.people_pair(
                        rng, pick, mentor_ranges, mentee_ranges, form_id, group, status, active_people
                    )
                    group = len(mentees) > 1
                    mentor_person, mentor_org = self.person_uuid(mentor), NULL
                    mentee_people, mentee_orgs = [self.person_uuid(m) for m in mentees], []
                start, end = self.dates(rng, status)
                start_s, end_s = DAYS[start], (DAYS[end] if end is not None else NULL)
                planned = DAYS[start + rng.choice((182, 365, 365, 730))]
                mode = "group" if group else rng.choice(MODES)
                stamp = f"{DAYS[start]} 09:00:00+03"
                updated = f"{DAYS[end]} 17:00:00+03" if end is not None else stamp
                w.row(
                    mentorship_id,
                    str(org.id),
                    str(form_id),
                    mode,
                    f"Группа {rng.randint(1, 20)}" if group else "",
                    mentor_person,
                    mentor_org,
                    status,
                    start_s,
                    planned,
                    end_s,
                    start_s if rng.random() < 0.8 else NULL,
                    ORG_ORG_GOAL if slot == -1 else rng.choice(GOALS),
                    "",
                    "Цель программы наставничества достигнута" if status == "completed" else "",
                    rng.choice(TERMINATION_REASONS) if status == "terminated" else "",
                    str(STATUSES[status][1]),
                    stamp,
                    updated,
                    "",  # agreement_file: no scan uploaded
                    # effectiveness at completion: the portal's completion form records it; a pair
                    # arriving as data (as from the workbook) has none (docs/workbook.md §2)
                    NULL,
                    NULL,
                    "",
                    NULL,
                    "",
                    NULL,  # last_meeting_on: activity.py sets it with the meetings
                )
                # services.mentorship_sync_links: organization, form, mentor, status and dates copied,
                # and the participants' attributes (services.mentorship_link_fields, mentee_link_fields)
                mentor_category = CATEGORIES[self.person_category[mentor]] if slot != -1 else ""
                copied = "\t".join(
                    (
                        str(org.id),
                        str(form_id),
                        mentor_person,
                        mentor_org,
                        status,
                        start_s,
                        end_s,
                        mentor_category,
                    )
                )
                for person, index in zip(mentee_people, mentees if slot != -1 else [], strict=False):
                    self.link_rows += 1
                    experience = self.person_experience[index]
                    mentee = "\t".join(
                        (
                            CATEGORIES[self.person_category[index]],
                            NULL if experience == 255 else str(experience),
                            DAYS[self.person_birth[index]],
                        )
                    )
                    links_file.write(
                        f"{self.link_rows}\t{mentorship_id}\t{person}\t{NULL}\t{copied}\t{mentee}\n"
                    )
                for mentee_org in mentee_orgs:
                    self.link_rows += 1
                    links_file.write(
                        f"{self.link_rows}\t{mentorship_id}\t{NULL}\t{mentee_org}\t{copied}\t\t{NULL}\t{NULL}\n"
                    )

        self.load(
            Mentorship,
            [
                "id",
                "organization_id",
                "mentoring_form_id",
                "mode",
                "group_name",
                "mentor_person_id",
                "mentor_organization_id",
                "status",
                "start_date",
                "planned_end_date",
                "end_date",
                "agreement_date",
                "goal",
                "mentee_request",
                "result",
                "termination_reason",
                "version",
                "created_at",
                "updated_at",
                "agreement_file",
                "plan_items_done",
                "plan_items_total",
                "goal_reached",
                "mentee_assessment",
                "effect_comment",
                "last_meeting_on",
            ],
            rows,
        )

    @staticmethod
    def people_pair(rng, pick, mentor_ranges, mentee_ranges, form_id, group, status, active):
        """A mentor and one mentee (a group: 2-4), none the mentor; an active mentorship takes only
        (mentor, mentee, form) triples no other active link holds, else it becomes a completed one."""
        n_mentees = sum(r[1] for r in mentee_ranges)
        wanted = max(1, min(rng.randint(2, 4), n_mentees - 1)) if group else 1
        for _ in range(20):
            mentor = pick(mentor_ranges)
            mentees: list[int] = []
            for _ in range(4 * wanted + 4):
                mentee = pick(mentee_ranges)
                key = (mentor << 32 | mentee) << 8 | form_id
                if mentee == mentor or mentee in mentees or (status == "active" and key in active):
                    continue
                mentees.append(mentee)
                if len(mentees) == wanted:
                    break
            if mentees:
                if status == "active":
                    active.update((mentor << 32 | m) << 8 | form_id for m in mentees)
                return mentor, mentees, status
            if status == "active":
                status = "completed"  # every mentee of this mentor is taken: an earlier, closed pair
        raise AssertionError("an organization that can staff the form found no mentee")

    def org_org(self, rng, schools, active, status):
        """A school mentors another organization of its municipality."""
        form_id = self.forms["org_org"]["id"]
        for _ in range(100):
            mentor = rng.choice(schools)
            neighbours = self.municipality_orgs[self.orgs[mentor].municipality_id]
            if len(neighbours) < 2:
                continue
            mentee = rng.choice(neighbours)
            key = (mentor, mentee, form_id)
            if mentee == mentor or (status == "active" and key in active):
                continue
            if status == "active":
                active.add(key)
            return self.orgs[mentor], form_id, mentor, [mentee], status
        raise AssertionError("no pair of organizations left for «ОО – ОО»")

    @staticmethod
    def dates(rng, status: str) -> tuple[int, int | None]:
        if status == "draft":
            return rng.randint(DRAFT_FIRST_START, DRAFT_LAST_START), None
        if status == "active":
            return rng.randint(ACTIVE_FIRST_START, LAST_START), None
        start = rng.randint(MENTORSHIP_FIRST_START, LAST_START - 30)
        return start, min(LAST_END, start + rng.randint(30, 400))

    def links(self, links_file: io.TextIOBase):
        from registry.models import MentorshipLink

        def rows(w):
            links_file.seek(0)
            while chunk := links_file.read(CHUNK):
                w.copy.write(chunk)
            w.rows = self.link_rows

        self.load(
            MentorshipLink,
            [
                "id",
                "mentorship_id",
                "mentee_person_id",
                "mentee_organization_id",
                "organization_id",
                "mentoring_form_id",
                "mentor_person_id",
                "mentor_organization_id",
                "status",
                "start_date",
                "end_date",
                "mentor_category",
                "mentee_category",
                "mentee_teaching_experience",
                "mentee_birth_date",
            ],
            rows,
        )

    def reset_sequences(self):
        from registry.models import Headcount, MentorshipLink, Municipality, Organization, Region

        with self.conn.transaction():
            for model in (Region, Municipality, Organization, Headcount, MentorshipLink):
                table = model._meta.db_table
                statement = "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {}))"
                self.conn.execute(sql.SQL(statement).format(sql.Identifier(table)), [table])


def recreate_database(name: str) -> None:
    with maintenance_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 is national scale; 0.01 for a quick check"
    )
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 10:
        parser.error("--scale must be in (0, 10]")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    print(f"recreating database {args.database} (scale {args.scale}, seed {args.seed})", flush=True)
    recreate_database(args.database)
    setup_django(args.database)

    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"  {'migrate':<32} {'':>10} {'':4} {time.perf_counter() - t:8.1f} s", flush=True)

    connection.ensure_connection()
    loader = Loader(connection.connection, args.scale, args.seed)  # the psycopg connection under Django's
    with tempfile.TemporaryFile("w+", encoding="utf-8", prefix="mentorship_links_") as links_file:
        loader.territory()
        loader.people()
        loader.headcounts()
        loader.mentorships(links_file)
        loader.links(links_file)
    loader.reset_sequences()
    activity.plans_and_meetings(args.seed, loader.timings)
    activity.surveys(args.seed, loader.timings)

    # The pairs' last meeting dates were written by an UPDATE of the active pairs after their COPY:
    # rebuild the table's indexes, as a migrated database builds the alert's partial index after
    # filling the column (a bloated registry_ms_silent, 16 MB against 5.7 MB, loses the silent
    # list's plan to registry_ms_org_status).
    t = time.perf_counter()
    loader.conn.execute("REINDEX TABLE registry_mentorship")
    print(f"  {'REINDEX registry_mentorship':<32} {'':>15} {time.perf_counter() - t:8.1f} s", flush=True)
    # Autovacuum may be off (it is on the bench machine): set the visibility maps and statistics now.
    t = time.perf_counter()
    loader.conn.execute("VACUUM (ANALYZE)")  # the whole database: the forms the migration seeded too
    print(f"  {'VACUUM (ANALYZE)':<32} {'':>10} {'':4} {time.perf_counter() - t:8.1f} s", flush=True)
    total_rows = sum(rows for _, rows, _ in loader.timings)
    print(f"done: {total_rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
