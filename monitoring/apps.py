from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Мониторинг"

    def ready(self):
        from registry import access, privacy
        from registry.workbook.engine import register

        from . import indicators, rights, surveys
        from .models import (
            Campaign,
            CampaignTarget,
            Indicator,
            MunicipalityApproval,
            MunicipalityApprovalEvent,
            Question,
            Questionnaire,
            RoadMap,
            RoadMapEvent,
            Submission,
            SubmissionEvent,
            SubmissionValue,
            SurveyAnswer,
            SurveyAnswerCount,
            SurveyInvitation,
            SurveyResponse,
            SurveyRound,
            SurveySchoolResult,
        )
        from .workbook import EventsSheet

        Indicator.definition_errors = indicators.check_definition  # Indicator.clean asks it
        # A road map is seen by whoever's territory contains its owner: the region's operator
        # sees them all, a coordinator the municipality's map and its schools' maps (an
        # organization's map carries its municipality), a curator its organization's map.
        access.register(RoadMap, access.Paths("organization", "municipality", "region"))
        access.register(
            RoadMapEvent,
            access.Paths("roadmap__organization", "roadmap__municipality", "roadmap__region"),
        )
        # Campaigns: a curator sees those its organization answers (after opening), a coordinator
        # its municipal ones and the regional ones covering its municipality (``target_municipalities``
        # always lists them), the operator the region's. Submissions follow the frozen municipality.
        access.register(Campaign, access.Paths("targets__organization", "target_municipalities", "region"))
        access.register(CampaignTarget, access.Paths("organization", "municipality", "campaign__region"))
        access.register(Submission, access.Paths("organization", "municipality", "campaign__region"))
        through_submission = access.Paths(
            "submission__organization", "submission__municipality", "submission__campaign__region"
        )
        access.register(SubmissionValue, through_submission)
        access.register(SubmissionEvent, through_submission)
        # The second level of a regional campaign: the municipality's coordinator, the region's operator.
        access.register(MunicipalityApproval, access.Paths(None, "municipality", "campaign__region"))
        access.register(
            MunicipalityApprovalEvent,
            access.Paths(None, "approval__municipality", "approval__campaign__region"),
        )
        access.register(Indicator, None)  # the catalogue: everybody reads it
        # Surveys (docs/domain.md §7): questionnaires are the region's; a round is seen by the operator
        # of its region, the coordinators of the municipalities it covers and the curators of the
        # schools whose participants got a link; invitations and responses follow their school.
        access.register(Questionnaire, access.Paths(None, None, "region"))
        access.register(Question, access.Paths(None, None, "questionnaire__region"))
        access.register(SurveyRound, access.Paths("organizations", "municipalities", "region"))
        by_school = access.Paths("organization", "organization__municipality", "round__region")
        access.register(SurveyInvitation, by_school)
        access.register(SurveyResponse, by_school)
        access.register(
            SurveyAnswer,
            access.Paths(
                "response__organization", "response__organization__municipality", "response__round__region"
            ),
        )
        # A closed round's stored results follow the school and its municipality on the closing day
        # (the region through the municipality, the round's region: no join to the rounds per row).
        stored = access.Paths("organization", "municipality", "municipality__region")
        access.register(SurveySchoolResult, stored)
        access.register(SurveyAnswerCount, stored)
        # Destroying a person's data also takes their name off their survey links and responses.
        privacy.forget_hook_register(hook=surveys.survey_person_forget)
        register(EventsSheet())
        # Who may change campaigns, submissions and road maps: monitoring's rows of access.WRITE_RULES.
        rights.register()
