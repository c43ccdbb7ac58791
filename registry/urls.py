from .views import export_jobs, mentorships, organizations, people, regional, workbook

app_name = "registry"
urlpatterns = [
    *organizations.urlpatterns,
    *people.urlpatterns,
    *mentorships.urlpatterns,
    *regional.urlpatterns,
    *workbook.urlpatterns,
    *export_jobs.urlpatterns,
]
