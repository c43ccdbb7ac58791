from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/redraft/", views.report_redraft, name="redraft"),
    path("<int:pk>/publish/", views.report_publish, name="publish"),
    path("<int:pk>/file/<str:fmt>/", views.report_file, name="report-file"),
    path("<int:pk>/versions/<int:number>/", views.report_version, name="version"),
    path("<int:pk>/versions/<int:number>/file/<str:fmt>/", views.version_file, name="version-file"),
    path("files/<uuid:pk>/", views.file_page, name="file"),
    path("files/<uuid:pk>/status/", views.file_status, name="file-status"),
    path("files/<uuid:pk>/download/", views.file_download, name="file-download"),
    path("agreements/<uuid:pk>/docx/", views.agreement_docx, name="agreement-docx"),
    path("agreements/<uuid:pk>/pdf/", views.agreement_pdf, name="agreement-pdf"),
]
