from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from carecase import metrics_views, security_views, task_views, views
from carecase.auth_views import LoginView, PasswordChangeView, login_code, login_enrol
from casefile import urls as casefile_urls
from children import audit_views
from children import urls as children_urls
from exports import urls_roster as roster_urls
from fieldapp import views as field_views

urlpatterns = [
    path("", views.home, name="home"),
    path("menu/", views.menu, name="menu"),
    path("health/", views.health, name="health"),
    path("ready/", views.ready, name="ready"),
    path("metrics/", metrics_views.metrics_view, name="metrics"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/login/code/", login_code, name="login_code"),
    path("accounts/login/enrol/", login_enrol, name="login_enrol"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # The director's offline app; its service worker at the root so that it serves the site.
    path("field/", include("fieldapp.urls")),
    path("sw.js", field_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", field_views.manifest, name="web_manifest"),
    path("org/", include("org.urls")),
    # The archive's pages and, in the same namespace, the archive page of one child (casefile)
    # and the roster export (exports).
    path(
        "children/",
        include(
            (
                children_urls.urlpatterns + casefile_urls.urlpatterns + roster_urls.urlpatterns,
                children_urls.app_name,
            )
        ),
    ),
    path("training/", include("training.urls")),
    path("notifications/", include("notifications.urls")),
    path("visits/", include("visits.urls")),
    path("reports/", include("reports.urls")),
    path("lists/", include("matching.urls")),
    path("providers/", include("providers.urls")),
    path("plans/", include("caseplans.urls")),
    path("stats/", include("stats.urls")),
    path("exports/", include("exports.urls")),
    path("duplicates/", include("duplicates.urls")),
    path("activities/", include("activities.urls")),
    path("transfers/", include("transfers.urls")),
    path("supervision/", include("supervision.urls")),
    path("security/lockouts/", security_views.lockouts, name="lockouts"),
    path("system/tasks/", task_views.task_list, name="tasks"),
    path("system/tasks/run/", task_views.task_run, name="task_run"),
    path("audit/access-log/", audit_views.access_log, name="access_log"),
    path("security/lockouts/<int:pk>/unlock/", security_views.unlock, name="lockout_unlock"),
    path("security/tokens/", security_views.token_list, name="security_tokens"),
    path("accounts/tokens/", security_views.my_tokens, name="my_tokens"),
    path(
        "accounts/tokens/<uuid:public_id>/revoke/",
        security_views.token_revoke,
        name="token_revoke",
    ),
    path("accounts/sessions/", security_views.my_sessions, name="my_sessions"),
    path("accounts/sessions/<int:pk>/end/", security_views.session_end, name="session_end"),
    path("accounts/recovery-codes/", security_views.recovery_codes, name="my_recovery_codes"),
    path("security/two-factor/", security_views.two_factor_accounts, name="security_two_factor"),
    path(
        "security/two-factor/<int:user_id>/permit/",
        security_views.two_factor_permit,
        name="security_two_factor_permit",
    ),
    path(
        "security/two-factor/<int:user_id>/reset/",
        security_views.two_factor_reset,
        name="security_two_factor_reset",
    ),
    path(
        "security/sessions/<int:user_id>/end/",
        security_views.sessions_end_all,
        name="security_sessions_end",
    ),
    path("audit/admin-log/", security_views.admin_log, name="admin_log"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("carecase.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler403 = "carecase.views.error_403"
handler404 = "carecase.views.error_404"
handler500 = "carecase.views.error_500"
