"""Store the results of the rounds closed before the results were stored at closing.

The same sums as ``monitoring.surveys.survey_round_store_results``, written here with the
migration's models (docs/domain.md §7): per school its links, answered links and responses, per
school, question and value the number of answers; on PostgreSQL the two tables are then analyzed.
Going back deletes the stored rows.
"""

from django.db import migrations
from django.db.models import Count, Q


def fill(apps, schema_editor):
    SurveyRound = apps.get_model("monitoring", "SurveyRound")
    SurveyInvitation = apps.get_model("monitoring", "SurveyInvitation")
    SurveyResponse = apps.get_model("monitoring", "SurveyResponse")
    SurveyAnswer = apps.get_model("monitoring", "SurveyAnswer")
    SurveySchoolResult = apps.get_model("monitoring", "SurveySchoolResult")
    SurveyAnswerCount = apps.get_model("monitoring", "SurveyAnswerCount")
    roles = {"mentors": "mentor", "mentees": "mentee"}
    for survey_round in SurveyRound.objects.filter(status="closed").select_related("questionnaire"):
        if SurveySchoolResult.objects.filter(round=survey_round).exists():
            continue
        role = roles[survey_round.questionnaire.audience]
        schools = {}
        for row in (
            SurveyInvitation.objects.filter(round=survey_round)
            .values("organization", "organization__municipality")
            .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered_on__isnull=False)))
            .order_by()
        ):
            schools[row["organization"]] = SurveySchoolResult(
                round=survey_round,
                organization_id=row["organization"],
                municipality_id=row["organization__municipality"],
                role=role,
                invited=row["invited"],
                answered=row["answered"],
                responses=0,
            )
        for row in (
            SurveyResponse.objects.filter(round=survey_round)
            .values("organization", "organization__municipality")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            school = schools.setdefault(
                row["organization"],
                SurveySchoolResult(
                    round=survey_round,
                    organization_id=row["organization"],
                    municipality_id=row["organization__municipality"],
                    role=role,
                    invited=0,
                    answered=0,
                    responses=0,
                ),
            )
            school.responses = row["n"]
        counts = [
            SurveyAnswerCount(
                round=survey_round,
                organization_id=row["response__organization"],
                municipality_id=row["response__organization__municipality"],
                question_id=row["question"],
                value=row["value"],
                answers=row["n"],
            )
            for row in SurveyAnswer.objects.filter(response__round=survey_round, value__isnull=False)
            .exclude(question__kind="text")
            .values("response__organization", "response__organization__municipality", "question", "value")
            .annotate(n=Count("pk"))
            .order_by()
        ]
        SurveySchoolResult.objects.bulk_create(schools.values(), batch_size=2000)
        SurveyAnswerCount.objects.bulk_create(counts, batch_size=2000)
    if schema_editor.connection.vendor == "postgresql":
        # filled in bulk: statistics for the planner now, not whenever autovacuum (if on) gets to it
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ANALYZE monitoring_surveyschoolresult, monitoring_surveyanswercount")


def unfill(apps, schema_editor):
    apps.get_model("monitoring", "SurveyAnswerCount").objects.all().delete()
    apps.get_model("monitoring", "SurveySchoolResult").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0006_survey_stored_results")]

    operations = [migrations.RunPython(fill, unfill)]
