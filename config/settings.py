"""Django settings for KAM. Every value a deployment may change comes from the
environment through config.env; .env.example lists them all."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import (
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    kam_home,
    secret_key,
    tasks_config,
)

BASE_DIR = Path(__file__).resolve().parent.parent
KAM_HOME = kam_home()

SECRET_KEY = secret_key(KAM_HOME)
DEBUG = env_bool("KAM_DEBUG", False)
ALLOWED_HOSTS = env_list("KAM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("KAM_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "kam.core",
    "kam.accounts",
    "kam.contacts",
    "kam.transactions",
    "kam.dataio",
    "kam.insights",
    "kam.segments",
    "kam.risk",
    "kam.notifications",
    "kam.plans",
    "kam.service",
    "kam.relations",
    "kam.club",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kam.core.context_processors.kam",
            ],
        },
    },
]

DATABASES = {"default": database_config(KAM_HOME)}
# Background work (scoring runs): queued in the database for `kam worker` by default.
TASKS = tasks_config()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LANGUAGE_CODE = env_choice("KAM_LANGUAGE", "en", ["en", "zh-hans"])
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("KAM_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = KAM_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it even when serving from app folders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so `kam serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("KAM_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
KAM_UPLOAD_MAX_BYTES = env_int("KAM_UPLOAD_MAX_MB", 50, minimum=1) * 1024 * 1024
# Uploaded files (ticket attachments) live in KAM_HOME/media; they are never served as
# static files, only through views that check who may see them.
MEDIA_ROOT = KAM_HOME / "media"
# Minutes between the SLA checks `kam worker` queues (escalation of tickets).
KAM_SLA_CHECK_MINUTES = env_int("KAM_SLA_CHECK_MINUTES", 5, minimum=1)
# Minutes between the club's accruals of points for new purchases `kam worker` queues.
KAM_CLUB_ACCRUAL_MINUTES = env_int("KAM_CLUB_ACCRUAL_MINUTES", 60, minimum=1)
# Goals of the service KPIs (SVC-4; the page colours a figure that misses its goal), in
# percent: first responses, resolutions and tickets within their SLA targets (at least),
# resolutions reopened (at most), CSAT answers of 4–5 (at least); and the least NPS.
KAM_SERVICE_GOAL_WITHIN_TARGET = env_int("KAM_SERVICE_GOAL_WITHIN_TARGET", 90, minimum=0)
KAM_SERVICE_GOAL_REOPENED = env_int("KAM_SERVICE_GOAL_REOPENED", 5, minimum=0)
KAM_SERVICE_GOAL_SATISFIED = env_int("KAM_SERVICE_GOAL_SATISFIED", 80, minimum=0)
KAM_SERVICE_GOAL_NPS = env_int("KAM_SERVICE_GOAL_NPS", 30, minimum=-100)

KAM_CURRENCY = env_str("KAM_CURRENCY", "CNY")
# Gifts and entertainment one person may receive per year (KAM_CURRENCY) before a warning.
KAM_GIFT_LIMIT_PER_PERSON = env_int("KAM_GIFT_LIMIT_PER_PERSON", 2000, minimum=0)
KAM_PAGE_SIZE = env_int("KAM_PAGE_SIZE", 50, minimum=5)
KAM_API_TOKEN_DAYS = env_int("KAM_API_TOKEN_DAYS", 365, minimum=1)
# The address of this installation as users reach it, for links in emails.
KAM_SITE_URL = env_str("KAM_SITE_URL", "")

# Email: notifications are also emailed when KAM_EMAIL_HOST names a mail server.
EMAIL_HOST = env_str("KAM_EMAIL_HOST", "")
EMAIL_PORT = env_int("KAM_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("KAM_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("KAM_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KAM_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = env_str("KAM_EMAIL_FROM", "kam@localhost")
KAM_EMAIL_NOTIFICATIONS = bool(EMAIL_HOST)

# Satisfaction surveys (SVC-3): links emailed to customers (default: when there is a mail
# server), days a link stays valid, days a contact is not emailed another survey, how
# many key contacts of an account a periodic survey asks, and the scores that count as
# low (a follow-up call is planned for the account owner).
KAM_SURVEY_EMAILS = env_bool("KAM_SURVEY_EMAILS", bool(EMAIL_HOST))
KAM_SURVEY_EXPIRY_DAYS = env_int("KAM_SURVEY_EXPIRY_DAYS", 30, minimum=1)
KAM_SURVEY_QUIET_DAYS = env_int("KAM_SURVEY_QUIET_DAYS", 14, minimum=0)
KAM_SURVEY_CONTACTS_PER_ACCOUNT = env_int("KAM_SURVEY_CONTACTS_PER_ACCOUNT", 3, minimum=1)
KAM_SURVEY_LOW_CSAT = env_int("KAM_SURVEY_LOW_CSAT", 2, minimum=0)
KAM_SURVEY_LOW_NPS = env_int("KAM_SURVEY_LOW_NPS", 6, minimum=-1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("KAM_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"]),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
