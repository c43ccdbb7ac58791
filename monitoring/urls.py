from .views import campaigns, roadmaps

app_name = "monitoring"
urlpatterns = [
    *roadmaps.urlpatterns,
    *campaigns.urlpatterns,
]
