"""Draft «Выводы» and «Рекомендации» written from a report's figures (docs/architecture.md §8).

The draft names what the figures show — the forms that lag, the municipalities with the lowest
completeness and those with the lowest shares of each indicator, the events not done — and the
operator edits it before publishing. Conclusions are paragraphs separated by a blank line;
recommendations one per line.
"""

from common.formats import plural, share, share_of

from .models import Kind

WEAKEST = 3  # how many municipalities a draft names


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " и " + names[-1]


def _weakest(by_municipality: list[dict]) -> list[dict]:
    below = [r for r in by_municipality if r["expected"] and r["submitted"] < r["expected"]]
    below.sort(key=lambda r: (r["submitted"] / r["expected"], r["name"]))
    return below[:WEAKEST]


def _weakest_by_share(campaign: dict, indicator: dict) -> list[dict]:
    """The municipalities with the lowest share of ``indicator`` (the highest for a «не более»
    target), from the campaign's ranking; none when fewer than two municipalities have a share."""
    rows = [r for r in (campaign.get("ranking") or {}).get(indicator["code"], []) if r["denominator"]]
    if len(rows) < 2:
        return []
    sign = -1 if indicator.get("comparison") == "lte" else 1
    rows = sorted(rows, key=lambda r: (sign * r["numerator"] / r["denominator"], r["name"]))
    return rows[:WEAKEST]


def _share_sentences(campaign: dict) -> tuple[list[str], list[str]]:
    """«Наименьшие значения показателя «…»: A (5 %), B (7,1 %) и C (10 %).» for each share of the
    campaign, and one recommendation naming every municipality so named."""
    conclusions, named = [], []
    for indicator in campaign["indicators"]:
        if indicator["unit"] == "count":
            continue
        weakest = _weakest_by_share(campaign, indicator)
        if not weakest:
            continue
        texts = [f"{r['name']} ({share(r['numerator'], r['denominator'])})" for r in weakest]
        what = "Наибольшие" if indicator.get("comparison") == "lte" else "Наименьшие"
        conclusions.append(f"{what} значения показателя «{indicator['name']}»: {_join(texts)}.")
        named += [r["name"] for r in weakest if r["name"] not in named]
    recommendations = []
    if named:
        recommendations.append(
            "Оказать методическую помощь муниципалитетам с наименьшими значениями показателей: "
            + _join(named)
            + "."
        )
    return conclusions, recommendations


def _execution_sentence(execution: dict) -> str:
    planned, done = execution["planned"], execution["done"]
    if not planned:
        return "Мероприятия в плане не указаны."
    if done == planned:
        return f"Все запланированные мероприятия выполнены ({share_of(done, planned)})."
    noun = plural(planned, "мероприятия", "мероприятий", "мероприятий")
    return f"Выполнено {done} из {planned} {noun} ({share(done, planned, 0)})."


def _campaign_sentences(campaign: dict) -> tuple[list[str], list[str]]:
    conclusions, recommendations = [], []
    expected, submitted = campaign["expected"], campaign["submitted"]
    if expected and not campaign.get("registry"):  # the live registry has no completeness
        sentence = (
            f"В мониторинге «{campaign['title']}» приняли участие {submitted} из {expected} "
            + plural(expected, "организации", "организаций", "организаций")
            + f" ({share(submitted, expected, 0)})."
        )
        weakest = _weakest(campaign["by_municipality"])
        if submitted < expected:
            sentence += " 100 % охвата не достигнуто."
            if weakest and len(campaign["by_municipality"]) > 1:
                names = [f"{r['name']} ({share_of(r['submitted'], r['expected'])})" for r in weakest]
                sentence += f" Наименьшая полнота: {_join(names)}."
                recommendations.append(
                    "Провести адресную работу с муниципалитетами с наименьшей полнотой ответов: "
                    + _join([r["name"] for r in weakest])
                    + "."
                )
            else:
                recommendations.append(
                    "Добиться участия в мониторинге всех образовательных организаций "
                    f"(не представили отчёт: {expected - submitted})."
                )
        conclusions.append(sentence)
    below = [i for i in campaign["indicators"] if i["light"] == "red"]
    if below:
        names = [
            f"«{i['name']}» — {share(i['numerator'], i['denominator'])}" for i in below if i["denominator"]
        ]
        if names:
            conclusions.append("Ниже целевого значения: " + "; ".join(names) + ".")
            recommendations.append(
                "Принять меры по достижению целевых значений показателей: "
                + "; ".join(f"«{i['name']}»" for i in below)
                + "."
            )
    return conclusions, recommendations


def _lagging_forms(indicators: list[dict]) -> list[dict]:
    """The shares of the report, lowest first (only shares with a denominator)."""
    shares = [i for i in indicators if i["unit"] == "share" and i["denominator"]]
    return sorted(shares, key=lambda i: i["numerator"] / i["denominator"])


def draft(kind: str, data: dict) -> dict:
    """{"conclusions": str, "recommendations": str} for the report's data."""
    conclusions: list[str] = []
    recommendations: list[str] = []
    if kind == Kind.ROADMAP_NOTE:
        execution = data["execution"]
        conclusions.append(
            "В результате выполнения запланированных мероприятий " + _execution_sentence(execution).lower()
        )
        open_events = [e for e in data["events"] if e["status"] not in ("done", "cancelled")]
        for direction in execution["by_direction"]:
            if (
                direction["planned"]
                and direction["done"] < direction["planned"]
                and len(execution["by_direction"]) > 1
            ):
                conclusions.append(
                    f"{direction['name']}: выполнено {direction['done']} из {direction['planned']}."
                )
        if open_events:
            recommendations.append(
                "Завершить невыполненные мероприятия: "
                + "; ".join(f"{e['number']} {e['title']}".strip() for e in open_events[:5])
                + ("; …" if len(open_events) > 5 else "")
                + "."
            )
        recommendations.append("Продолжить развитие системы наставничества в образовательных организациях.")
        recommendations.append(
            "Муниципальным методическим службам оказывать методическую помощь образовательным организациям "
            "в реализации форм наставничества."
        )
    elif kind == Kind.MONITORING_REPORT:
        campaign = data["campaign"]
        c, r = _campaign_sentences(campaign)
        conclusions += c
        by_share, r_share = _share_sentences(campaign)
        conclusions += by_share
        r += r_share
        lagging = _lagging_forms(campaign["indicators"])
        if len(lagging) > 1:
            low = lagging[0]
            conclusions.append(
                f"Наименьшая доля участия: «{low['name']}» — {share(low['numerator'], low['denominator'])}."
            )
            recommendations.append(
                f"Активизировать работу по показателю «{low['name']}»: повысить число вовлечённых педагогов "
                "и обучающихся."
            )
        recommendations += r
        recommendations.append("Формировать базы наставников и наставляемых по всем формам наставничества.")
        recommendations.append("Вести банк успешных практик внедрения целевой модели наставничества.")
    elif kind == Kind.ROADMAP_REPORT:
        conclusions.append(
            "В соответствии с планом мероприятий реализованы направления: "
            + "; ".join(d["name"] for d in data["execution"]["by_direction"])
            + ". "
            + _execution_sentence(data["execution"])
        )
        for campaign in data["campaigns"]:
            c, r = _campaign_sentences(campaign)
            conclusions += c
            recommendations += r
        for contest in data["contests"]:
            parts = " + ".join(str(t["count"]) for t in contest["by_type"])
            conclusions.append(
                f"В конкурсе «{contest['title']}» приняли участие {contest['total']} "
                f"({parts}: " + ", ".join(f"{t['label']} — {t['count']}" for t in contest["by_type"]) + ")."
            )
        recommendations.append(
            "Усилить работу по формированию банка эффективных практик наставничества и пополнению реестра "
            "региональных методистов."
        )
    elif kind == Kind.SCHOOL_NOTE:
        events = data["events"]
        done = sum(1 for e in events if e["status"] == "done")
        if events and done == len(events):
            conclusions.append(
                f"Все мероприятия «Дорожной карты» в {data['school_year']} учебном году реализованы "
                "в полном объёме."
            )
        elif events:
            conclusions.append(
                f"Мероприятия «Дорожной карты» в {data['school_year']} учебном году реализованы частично: "
                f"{share_of(done, len(events))}."
            )
        conclusions.append(
            f"Продолжить работу по реализации целевой модели наставничества в {data['next_school_year']} "
            "учебном году."
        )
        if not any(d["doc_type"] == "regulation" for d in data["documents"]):
            recommendations.append("Разработать и утвердить положение о наставничестве в организации.")
        recommendations.append(
            "Опубликовать результаты программы наставничества, лучших наставников на сайте организации."
        )
        recommendations.append(
            "Провести конкурс профессионального мастерства «Наставник года», «Лучшая пара»."
        )
    return {"conclusions": "\n\n".join(conclusions), "recommendations": "\n".join(recommendations)}
