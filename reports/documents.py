"""A report's data and narrative → its document: headings, paragraphs, tables, charts, signature.

The document is plain JSON (see ``reports.render``): one HTML template prints it for the screen and
for WeasyPrint, ``reports.docx`` writes the same blocks into Word, so the three formats hold the same
text and tables by construction. Every share is written here from its counts: «228 из 340, 67 %».
"""

from common.formats import plural, share, share_of
from monitoring.models import target_text

from .models import Kind

MAX_CHART_ITEMS = 30


def heading(text: str, level: int = 2) -> dict:
    return {"type": "heading", "text": text, "level": level}


def para(text: str, *, label: str = "", align: str = "justify", bold: bool = False) -> dict:
    block = {"type": "paragraph", "text": text, "align": align}
    if label:
        block["label"] = label
    if bold:
        block["bold"] = True
    return block


def items(values: list[str], ordered: bool = False) -> dict:
    return {"type": "list", "items": values, "ordered": ordered}


def table(columns: list[tuple[str, int | None, str]], rows: list[dict], caption: str | None = None) -> dict:
    return {
        "type": "table",
        "columns": [{"title": t, "width": w, "align": a} for t, w, a in columns],
        "rows": rows,
        "caption": caption,
    }


def row(*cells, kind: str = "row") -> dict:
    return {"cells": ["" if c is None else str(c) for c in cells], "kind": kind}


def group(text: str) -> dict:
    return {"cells": [text], "kind": "group"}


def chart(title: str, values: list[tuple[str, float, str]], *, kind: str = "hbar", unit: str = "") -> dict:
    return {
        "type": "chart",
        "kind": kind,
        "title": title,
        "unit": unit,
        "items": [{"label": label, "value": value, "text": text} for label, value, text in values],
    }


def pct(numerator: int, denominator: int | None) -> float:
    return 100 * numerator / denominator if denominator else 0.0


def paragraphs(text: str) -> list[dict]:
    return [para(p.strip()) for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def lines(text: str) -> list[str]:
    return [
        line.strip().lstrip("-–•").strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()
    ]


def signature(fields: dict, prefix: str = "Исп.") -> list[dict]:
    if not (fields.get("signature_position") or fields.get("signature_name")):
        return []
    return [
        {
            "type": "signature",
            "prefix": prefix,
            "position": fields.get("signature_position", ""),
            "name": fields.get("signature_name", ""),
        }
    ]


def narrative_blocks(
    fields: dict, *, conclusions_title="Выводы", recommendations_title="Рекомендации"
) -> list:
    blocks = []
    if fields.get("conclusions", "").strip():
        blocks += [heading(conclusions_title), *paragraphs(fields["conclusions"])]
    recommendations = lines(fields.get("recommendations", ""))
    if recommendations:
        blocks += [heading(recommendations_title), items(recommendations, ordered=True)]
    return blocks


def indicator_text(indicator: dict) -> str:
    if indicator["denominator"] is None:
        return str(indicator["numerator"])
    numerator, denominator = indicator["numerator"], indicator["denominator"]
    return f"{share(numerator, denominator)} ({numerator} из {denominator})"


def target_note(indicator: dict) -> str:
    """«; целевое значение — не менее 70 % (источник)»; "" without a target (older data: no source)."""
    text = target_text(
        target=indicator.get("target"),
        comparison=indicator.get("comparison", ""),
        is_count=indicator.get("unit") == "count",
    )
    if not text:
        return ""
    source = indicator.get("target_source", "")
    return f"; целевое значение — {text}" + (f" ({source})" if source else "")


# ---------------------------------------------------------------- seed 000


def roadmap_note_title(data: dict) -> str:
    title = data["roadmap"]["title"]
    if title.startswith("Мероприятия "):
        return "Аналитическая справка по результатам реализации мероприятий " + title[len("Мероприятия ") :]
    return f"Аналитическая справка по результатам реализации дорожной карты «{title}»"


def compose_roadmap_note(data: dict, fields: dict) -> list[dict]:
    roadmap, execution = data["roadmap"], data["execution"]
    blocks = [heading(fields["title"], 1)]
    basis = roadmap["basis_title"].strip() or f"«{roadmap['title']}»"
    if roadmap["basis_date"]:
        basis += f" от {roadmap['basis_date']}"
    if roadmap["basis_number"]:
        basis += f" № {roadmap['basis_number']}"
    blocks.append(para(basis, label="Основание:"))
    blocks.append(
        para(
            f"Проведен мониторинг мероприятий по реализации наставничества: {data['territory']['name']}, "
            f"дорожная карта «{roadmap['title']}»."
        )
    )
    blocks.append(
        para(
            "анализ эффективности запланированных мероприятий по реализации системы наставничества.",
            label="Цель —",
        )
    )
    blocks.append(
        table(
            [
                ("№", 5, "center"),
                ("Мероприятия", 23, "left"),
                ("Цель", 19, "left"),
                ("Сроки", 12, "left"),
                ("Ответственный", 17, "left"),
                ("Ожидаемый результат", 24, "left"),
            ],  # fmt: skip
            [
                row(e["number"], e["title"], e["goal"], e["timing"], e["responsible"], e["expected_result"])
                for e in data["events"]
            ],
        )
    )
    blocks.append(
        para(
            f"Выполнено мероприятий: {share_of(execution['done'], execution['planned'])}."
            if execution["planned"]
            else "Мероприятия в плане не указаны."
        )
    )
    if execution["by_month"]:
        blocks.append(
            chart(
                "Мероприятия по месяцам",
                [(m["name"], m["planned"], str(m["planned"])) for m in execution["by_month"]],
                kind="bar",
            )
        )
    if execution["by_responsible"]:
        blocks.append(
            table(
                [("Ответственный", 50, "left"), ("Мероприятий", 25, "right"), ("Выполнено", 25, "right")],
                [row(r["name"], r["planned"], r["done"]) for r in execution["by_responsible"]],
                caption="Мероприятия по ответственным",
            )
        )
    blocks += narrative_blocks(fields)
    blocks += signature(fields)
    return blocks


# ---------------------------------------------------------------- seed 002


def campaign_subject(title: str) -> str:
    """«Мониторинг реализации …» → «реализации …» (what follows «мониторинга» / «мониторинг»)."""
    if title.lower().startswith("мониторинг "):
        return title[len("мониторинг ") :]
    return f"«{title}»"


def monitoring_report_title(data: dict) -> str:
    if data["campaign"].get("registry"):
        return "Аналитический отчёт о реализации целевой модели наставничества " + data["campaign"]["source"]
    return "Аналитический отчёт о результатах мониторинга " + campaign_subject(data["campaign"]["title"])


def compose_registry_report(data: dict, fields: dict) -> list[dict]:
    """The monitoring report without a campaign: the live registry on a date (builders._registry_figures).
    Its source is said under the title and in every table's caption, where a campaign's name and
    completeness would be."""
    figures = data["campaign"]
    source, count = figures["source"], figures["expected"]
    blocks = [heading(fields["title"], 1)]
    blocks.append(
        para(
            f"Источник данных — реестр наставничества, {source}: наставнические пары, контингент, "
            "курсы повышения квалификации и документы, внесённые образовательными организациями; "
            "мониторинг по этой территории не проводился или не указан."
        )
    )
    noun = plural(
        count, "образовательная организация", "образовательные организации", "образовательных организаций"
    )
    blocks.append(
        para(f"Учтены {count} {noun} ({', '.join(figures['org_types'])}): {data['territory']['name']}.")
    )
    blocks.append(heading(f"Показатели {source}"))
    indicators = figures["indicators"]
    blocks.append(items([f"{i['name']} — {indicator_text(i)}" for i in indicators]))
    shares = [i for i in indicators if i["denominator"]]
    if shares:
        blocks.append(
            chart(
                f"Показатели {source}",
                [
                    (
                        i["name"],
                        pct(i["numerator"], i["denominator"]),
                        share(i["numerator"], i["denominator"]),
                    )
                    for i in shares
                ],  # fmt: skip
                unit="%",
            )
        )
    by_municipality = bool(figures["by_municipality"])
    rows = figures["by_municipality"] or figures["schools"]
    if rows:
        what = "по муниципалитетам" if by_municipality else "по организациям"
        blocks.append(heading(f"Показатели {what}"))
        # The whole catalogue is 16 columns: a table of them all leaves a figure 4 % of the page,
        # narrower than «27,3 %», which never breaks (reports/unbroken.py). So the indicators go
        # REGISTRY_TABLE_COLUMNS at a time, each table repeating the names.
        for start in range(0, len(indicators), REGISTRY_TABLE_COLUMNS):
            part = indicators[start : start + REGISTRY_TABLE_COLUMNS]
            blocks.append(_registry_table(part, start, rows, count, by_municipality, source))
    blocks += narrative_blocks(fields, recommendations_title="Рекомендации")
    blocks += signature(fields, prefix="")
    return blocks


REGISTRY_TABLE_COLUMNS = 6  # indicators per table of the registry's report (each ≥ 10 % of the page)


def _registry_table(
    part: list[dict], start: int, rows, count: int, by_municipality: bool, source: str
) -> dict:
    """One table of the registry's report: the territories' rows with ``part`` of the indicators
    (those from ``start`` in each row's values), and the total."""
    width = 60 // max(1, len(part))  # the widths add up to 100 (the table's layout is fixed)
    columns = [("№", 6, "right"), ("Муниципалитет", 24, "left"), ("Организаций", 10, "right")]
    if not by_municipality:
        columns = [("№", 6, "right"), ("Организация", 34, "left")]
    columns += [(i["code"], width, "right") for i in part]

    def cells(r, values):
        counted = [r["organizations"]] if by_municipality else []
        return counted + [
            "—" if v is None else (str(v[0]) if v[1] is None else share(v[0], v[1]))
            for v in values[start : start + len(part)]
        ]

    table_rows = [row(n, r["name"], *cells(r, r["values"])) for n, r in enumerate(rows, 1)]
    total = [[i["numerator"], i["denominator"]] for i in part]
    padded = [None] * start + total  # ``cells`` reads the part's place in a whole row
    table_rows.append(row("", "Итого", *cells({"organizations": count}, padded), kind="total"))
    return table(
        columns,
        table_rows,
        caption=f"Источник: реестр, {source}. Показатели: "
        + "; ".join(f"{i['code']} — {i['name']}" for i in part),
    )


def compose_monitoring_report(data: dict, fields: dict) -> list[dict]:
    campaign = data["campaign"]
    if campaign.get("registry"):
        return compose_registry_report(data, fields)
    blocks: list[dict] = []
    if campaign["basis_number"] or campaign["basis_title"]:
        # The order that opened the campaign (seed 002, «ПРИКАЗ № 16»).
        if campaign["organizer"]:
            blocks.append(para(campaign["organizer"], align="center", bold=True))
        blocks.append(para(campaign["basis_date"], align="left"))
        blocks.append(para(f"ПРИКАЗ № {campaign['basis_number']}".strip(), align="center", bold=True))
        if campaign["basis_title"]:
            blocks.append(para(campaign["basis_title"], align="left", bold=True))
        if campaign["basis_text"]:
            blocks.append(para(campaign["basis_text"]))
        blocks.append({"type": "page_break"})
    blocks.append(heading(fields["title"], 1))
    basis = []
    if campaign["other_basis"]:
        basis.append(campaign["other_basis"])
    if campaign["basis_number"] or campaign["basis_title"]:
        text = "приказ"
        text += f" {campaign['organizer']}" if campaign["organizer"] else ""
        text += f" № {campaign['basis_number']}" if campaign["basis_number"] else ""
        text += f" от {campaign['basis_date']}" if campaign["basis_date"] else ""
        text += f" «{campaign['basis_title']}»" if campaign["basis_title"] else ""
        basis.append(text)
    if basis:
        blocks.append(para("; ".join(basis) + ".", label="Основание:"))
    who = campaign["organizer"] or "Организатор"
    blocks.append(
        para(
            f"{who} провёл мониторинг {campaign_subject(campaign['title'])} "
            f"в период с {campaign['period_start']} по "
            f"{campaign['period_end']} (данные на {campaign['as_of']})."
        )
    )
    if campaign["goal"]:
        blocks.append(para(campaign["goal"], label="Цель мониторинга:"))
    blocks.append(para(campaign["method_text"], label="Метод сбора информации:"))
    if campaign["processing_text"]:
        blocks.append(para(campaign["processing_text"], label="Методы обработки информации:"))
    if campaign["use_of_results"]:
        blocks.append(para(campaign["use_of_results"]))
    expected, submitted = campaign["expected"], campaign["submitted"]
    blocks.append(
        para(
            f"В мониторинге участвовали {submitted} "
            + plural(
                submitted,
                "образовательная организация",
                "образовательные организации",
                "образовательных организаций",
            )
            + f" из {expected} ({share(submitted, expected, 0)}): {data['territory']['name']}."
        )
    )
    blocks.append(heading("Результаты мониторинга"))
    indicators = campaign["indicators"]
    blocks.append(items([f"{i['name']} — {indicator_text(i)}{target_note(i)}" for i in indicators]))
    shares = [i for i in indicators if i["denominator"]]
    if shares:
        blocks.append(
            chart(
                "Показатели мониторинга",
                [
                    (
                        i["name"],
                        pct(i["numerator"], i["denominator"]),
                        share(i["numerator"], i["denominator"]),
                    )
                    for i in shares
                ],
                unit="%",
            )
        )
    if len(campaign["by_municipality"]) > 1:
        blocks.append(heading("Полнота ответов по муниципалитетам"))
        blocks.append(
            table(
                [
                    ("Муниципалитет", 50, "left"),
                    ("Организаций", 15, "right"),
                    ("Представили", 15, "right"),
                    ("Полнота", 20, "right"),
                ],  # fmt: skip
                [
                    *(
                        row(r["name"], r["expected"], r["submitted"], share(r["submitted"], r["expected"], 0))
                        for r in campaign["by_municipality"]
                    ),  # fmt: skip
                    row("Итого", expected, submitted, share(submitted, expected, 0), kind="total"),
                ],
            )
        )
        by_completeness = sorted(
            campaign["by_municipality"], key=lambda r: (pct(r["submitted"], r["expected"]), r["name"])
        )
        blocks.append(
            chart(
                "Полнота ответов по муниципалитетам (наименьшая — вверху)",
                [
                    (r["name"], pct(r["submitted"], r["expected"]), share(r["submitted"], r["expected"], 0))
                    for r in by_completeness[:MAX_CHART_ITEMS]
                ],  # fmt: skip
                unit="%",
            )
        )
    reconciliation = data.get("reconciliation") or []  # versions frozen before it have none
    if reconciliation:
        blocks.append(heading("Сверка с данными реестра"))
        blocks.append(
            para(
                "Организации, указавшие в отчёте значения, которые отличаются от данных реестра "
                "на дату начала мониторинга; разница — отчёт минус реестр."
            )
        )
        blocks.append(
            table(
                [
                    ("Организация", 20, "left"),
                    ("Муниципалитет", 14, "left"),
                    ("Показатель", 20, "left"),
                    ("В отчёте", 9, "right"),
                    ("В реестре", 9, "right"),
                    ("Разница", 9, "right"),
                    ("Комментарий организации", 19, "left"),
                ],  # fmt: skip
                [
                    row(
                        r["organization"],
                        r["municipality"],
                        r["figure"],
                        r["reported"],
                        r["registry"],
                        f"{r['difference']:+d}".replace("-", "\u2212"),
                        r["comment"] or "—",
                    )
                    for r in reconciliation
                ],
            )
        )
    blocks += narrative_blocks(fields, recommendations_title="Рекомендации")
    blocks += signature(fields, prefix="")
    organizations = data["organizations"]
    if organizations:
        blocks.append({"type": "page_break"})
        blocks.append(heading("Приложение. Сведения по организациям"))
        codes = [i["code"] for i in indicators]
        columns = [("№", 6, "right"), ("Организация", 26, "left"), ("Муниципалитет", 18, "left"),
                   ("Отчёт", 12, "left")]  # fmt: skip
        width = 38 // max(1, len(codes))  # the widths add up to 100 (the table's layout is fixed)
        columns += [(code, width, "right") for code in codes]
        rows = []
        for n, o in enumerate(organizations, start=1):
            values = [
                "—" if v is None else (str(v[0]) if v[1] is None else share(v[0], v[1])) for v in o["values"]
            ]
            rows.append(row(n, o["name"], o["municipality"], o["status"], *values))
        blocks.append(
            table(
                columns,
                rows,
                caption="Показатели: " + "; ".join(f"{i['code']} — {i['name']}" for i in indicators),
            )
        )
    return blocks


# ---------------------------------------------------------------- seed 003


def roadmap_report_title(data: dict) -> str:
    return (
        "Отчёт об организационно-методическом сопровождении внедрения и развития системы наставничества: "
        + data["territory"]["name"]
    )


def compose_roadmap_report(data: dict, fields: dict) -> list[dict]:
    roadmap, execution = data["roadmap"], data["execution"]
    blocks = [heading(fields["title"], 1)]
    rows = []
    for direction in data["directions"]:
        rows.append(group(direction["name"] or "Без направления"))
        for e in direction["events"]:
            result = e["result"] or e["status_label"]
            if e["participants"] is not None:
                result += f"\nучастников: {e['participants']}"
            if e["links"]:
                result += "\n" + e["links"]
            rows.append(row(e["number"], e["title"], e["audience"], e["timing"], result))
    blocks.append(
        table(
            [
                ("№ п/п", 9, "left"),
                ("Мероприятие", 27, "left"),
                ("Целевая аудитория", 17, "left"),
                ("Дата проведения", 16, "left"),
                ("Результат", 31, "left"),
            ],  # fmt: skip
            rows,
        )
    )
    blocks.append({"type": "page_break"})
    blocks.append(heading("Информационная справка о промежуточных результатах", 1))
    basis = roadmap["basis_title"] or f"«{roadmap['title']}»"
    if roadmap["basis_date"]:
        basis += f" от {roadmap['basis_date']}"
    if roadmap["basis_number"]:
        basis += f" № {roadmap['basis_number']}"
    blocks.append(
        para(
            "Организационно-методическое сопровождение внедрения и развития системы наставничества "
            f"({data['territory']['name']}) осуществляется в соответствии с документом: {basis}."
        )
    )
    blocks.append(
        table(
            [
                ("Направление", 64, "left"),
                ("Мероприятий", 12, "right"),
                ("Выполнено", 12, "right"),
                ("Доля", 12, "right"),
            ],  # fmt: skip
            [
                *(
                    row(d["name"], d["planned"], d["done"], share(d["done"], d["planned"], 0))
                    for d in execution["by_direction"]
                ),  # fmt: skip
                row(
                    "Итого",
                    execution["planned"],
                    execution["done"],
                    share(execution["done"], execution["planned"], 0),
                    kind="total",
                ),  # fmt: skip
            ],
            caption="Выполнение плана мероприятий",
        )
    )
    if data["campaigns"]:
        blocks.append(heading("Результаты мониторингов"))
        for campaign in data["campaigns"]:
            facts = [
                f"Период: {campaign['period_start']} – {campaign['period_end']}",
                f"Приняли участие: {share_of(campaign['submitted'], campaign['expected'])}",
                # As the seed writes them: «254 из 340, 75 %».
                *(
                    f"{i['name']}: "
                    + (
                        share_of(i["numerator"], i["denominator"])
                        if i["denominator"]
                        else str(i["numerator"])
                    )
                    for i in campaign["indicators"]
                ),
            ]
            blocks += [para(f"«{campaign['title']}»", bold=True, align="left"), items(facts)]
        blocks.append(
            chart(
                "Охват мониторингами",
                [
                    (c["title"], pct(c["submitted"], c["expected"]), share(c["submitted"], c["expected"], 0))
                    for c in data["campaigns"]
                ],  # fmt: skip
                unit="%",
            )
        )
    if data["contests"]:
        blocks.append(heading("Конкурсы"))
        for contest in data["contests"]:
            parts = ", ".join(f"{t['label']} — {t['count']}" for t in contest["by_type"])
            winners = "; ".join(f"{w['title']} ({w['organization']})" for w in contest["winners"])
            text = (
                f"«{contest['title']}» ({contest['start']} – {contest['end']}): участников {contest['total']}"
            )
            text += (
                f" = {' + '.join(str(t['count']) for t in contest['by_type'])} ({parts})." if parts else "."
            )
            if winners:
                text += f" Победители: {winners}."
            blocks.append(para(text))
    blocks.append(para(f"В банк эффективных практик включено практик: {data['practices']}."))
    blocks += narrative_blocks(fields)
    blocks += signature(fields)
    return blocks


# ---------------------------------------------------------------- seed 001


def school_note_title(data: dict) -> str:
    return (
        "Информационно-аналитическая справка о реализации наставничества в "
        f"{data['organization']['name']} в {data['school_year']} учебном году"
    )


def compose_school_note(data: dict, fields: dict) -> list[dict]:
    organization = data["organization"]
    blocks = [heading(fields["title"], 1)]
    facts = [f"Муниципалитет: {organization['municipality']}", f"Код ОО: {organization['code']}"]
    if organization["model_status"]:
        since = f" (с {organization['model_status_since']})" if organization["model_status_since"] else ""
        facts.append(f"Этап внедрения целевой модели наставничества: {organization['model_status']}{since}")
    facts += [
        f"{s['label']} с {s['since']}" + (f" ({s['basis']})" if s["basis"] else "") for s in data["statuses"]
    ]
    if data["curators"]:
        facts.append("Куратор внедрения целевой модели наставничества: " + ", ".join(data["curators"]))
    blocks.append(items(facts))
    blocks.append(heading("Нормативно-правовые акты"))
    if data["documents"]:
        blocks.append(
            items(
                [
                    f"«{d['title']}» ({d['type']}) от {d['date']}"
                    + (f" № {d['number']}" if d["number"] else "")
                    + (" — размещён на сайте" if d["on_site"] else "")
                    for d in data["documents"]
                ],
                ordered=True,
            )
        )
    else:
        blocks.append(para("Документы по наставничеству в реестре не указаны."))
    blocks.append(heading("Базы наставников и наставляемых"))
    base_rows = []
    for base, title in (("mentor", "База наставников"), ("mentee", "База наставляемых")):
        counts = data["bases"].get(base, [])
        if not counts:
            continue
        base_rows.append(
            row(
                title,
                sum(c["count"] for c in counts),
                ", ".join(f"{c['category']} — {c['count']}" for c in counts),
            )
        )
    if base_rows:
        blocks.append(
            table([("База", 30, "left"), ("Человек", 15, "right"), ("По категориям", 55, "left")], base_rows)
        )
    else:
        blocks.append(para(f"На {data['as_of']} базы наставников и наставляемых в реестре не заполнены."))
    if data["forms"]:
        blocks.append(
            table(
                [
                    ("Форма наставничества", 40, "left"),
                    ("Пар и групп", 20, "right"),
                    ("Наставников", 20, "right"),
                    ("Наставляемых", 20, "right"),
                ],  # fmt: skip
                [row(f["name"], f["mentorships"], f["mentors"], f["mentees"]) for f in data["forms"]],
                caption=f"Наставнические пары и группы на {data['as_of']}",
            )
        )
    if data["trainings"]:
        blocks.append(heading("Обучение"))
        blocks.append(
            items(
                [
                    f"«{t['course']}» ({t['provider']}): прошли обучение {t['people']} чел."
                    for t in data["trainings"]
                ]
            )
        )
    if data["events"]:
        blocks.append(heading("Мероприятия"))
        blocks.append(
            table(
                [
                    ("№", 6, "left"),
                    ("Мероприятие", 34, "left"),
                    ("Сроки", 14, "left"),
                    ("Результат", 34, "left"),
                    ("Участников", 12, "right"),
                ],  # fmt: skip
                [
                    row(
                        e["number"],
                        e["title"],
                        e["timing"],
                        e["result"] or e["status_label"],
                        e["participants"],
                    )
                    for e in data["events"]
                ],
            )
        )
    if data["contests"]:
        blocks.append(items([f"«{c['contest']}»: {c['title']} — {c['result']}" for c in data["contests"]]))
    blocks += narrative_blocks(fields, conclusions_title="Решение", recommendations_title="Рекомендации")
    blocks += signature(fields, prefix="")
    return blocks


TITLES = {
    Kind.ROADMAP_NOTE: roadmap_note_title,
    Kind.MONITORING_REPORT: monitoring_report_title,
    Kind.ROADMAP_REPORT: roadmap_report_title,
    Kind.SCHOOL_NOTE: school_note_title,
}
COMPOSERS = {
    Kind.ROADMAP_NOTE: compose_roadmap_note,
    Kind.MONITORING_REPORT: compose_monitoring_report,
    Kind.ROADMAP_REPORT: compose_roadmap_report,
    Kind.SCHOOL_NOTE: compose_school_note,
}


def default_title(kind: str, data: dict) -> str:
    return TITLES[kind](data)


def compose(kind: str, data: dict, fields: dict) -> dict:
    """The document of a report. ``fields``: title, conclusions, recommendations, signature_position,
    signature_name (the report's editable text)."""
    fields = {**fields, "title": fields.get("title") or default_title(kind, data)}
    territory = data["territory"]
    return {
        "title": fields["title"],
        "running_header": f"{territory['region']} · {territory['name']}"
        if territory["level"] != "region"
        else territory["region"],
        "blocks": COMPOSERS[kind](data, fields),
    }


def table_rows(document: dict) -> int:
    return sum(len(b["rows"]) for b in document["blocks"] if b["type"] == "table")
