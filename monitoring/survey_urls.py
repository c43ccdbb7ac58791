"""The public survey page, without an account: ``/survey/<token>/`` (docs/domain.md §7)."""

from .views import surveys

app_name = "survey"
urlpatterns = surveys.public_urlpatterns
