from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import notification_views, search_page, security, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", search_page.search, name="search"),
    path(
        "login/",
        auth_views.LoginView.as_view(
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
    path("", include("registry.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("survey/", include("monitoring.survey_urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
