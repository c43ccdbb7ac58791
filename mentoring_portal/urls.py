from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import accounts_mail, calendar, notification_views, search_page, security, views
from .api.views import api

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", search_page.search, name="search"),
    path(
        "login/",
        accounts_mail.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=security.LoginForm
        ),
        name="login",
    ),
    path("login/code/", security.second_factor, name="second-factor"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification-open"),
    path("notifications/read/", notification_views.notification_read_all, name="notification-read-all"),
    path("notifications/settings/", notification_views.notification_settings, name="notification-settings"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *accounts_mail.urlpatterns,
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar-feed"),
    path("", include("registry.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("survey/", include("monitoring.survey_urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    # The read-only API for other systems (docs/architecture.md §13): its own key, not a session.
    path("api/v1/", api.urls),
]
