from .views import (
    accounts,
    agreements,
    export_jobs,
    meetings,
    mentorships,
    organizations,
    people,
    plans,
    regional,
    search,
    workbook,
)

app_name = "registry"
urlpatterns = [
    *organizations.urlpatterns,
    *people.urlpatterns,
    *accounts.urlpatterns,
    *mentorships.urlpatterns,
    *plans.urlpatterns,
    *agreements.urlpatterns,
    *meetings.urlpatterns,
    *regional.urlpatterns,
    *workbook.urlpatterns,
    *export_jobs.urlpatterns,
    *search.urlpatterns,
]
