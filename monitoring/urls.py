from .views import campaigns, roadmaps, surveys

app_name = "monitoring"
urlpatterns = [
    *roadmaps.urlpatterns,
    *campaigns.urlpatterns,
    *surveys.urlpatterns,
]
