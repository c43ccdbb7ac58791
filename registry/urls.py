from .views import (
    accounts,
    agreements,
    export_jobs,
    meetings,
    mentorships,
    organizations,
    people,
    plan_templates,
    plans,
    regional,
    users,
    workbook,
)

app_name = "registry"
urlpatterns = [
    *organizations.urlpatterns,
    *people.urlpatterns,
    *accounts.urlpatterns,
    *mentorships.urlpatterns,
    *plans.urlpatterns,
    *plan_templates.urlpatterns,
    *agreements.urlpatterns,
    *meetings.urlpatterns,
    *regional.urlpatterns,
    *workbook.urlpatterns,
    *export_jobs.urlpatterns,
    *users.urlpatterns,
]
