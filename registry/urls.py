from .views import agreements, export_jobs, mentorships, organizations, people, plans, regional, workbook

app_name = "registry"
urlpatterns = [
    *organizations.urlpatterns,
    *people.urlpatterns,
    *mentorships.urlpatterns,
    *plans.urlpatterns,
    *agreements.urlpatterns,
    *regional.urlpatterns,
    *workbook.urlpatterns,
    *export_jobs.urlpatterns,
]
