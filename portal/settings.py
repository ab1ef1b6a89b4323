"""The portal's one settings module, read from the environment.

Every value that differs between a laptop, CI and production comes from an environment variable,
parsed strictly by django-environ (a malformed boolean or integer stops start-up). Nothing here is
secret: SECRET_KEY, database and broker credentials are given by the environment. See
`.env.example` for the full list.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.smart_cast = False  # no guessing: each variable is read with an explicit type below

DEBUG = env.bool("DEBUG", default=False)

# No default outside DEBUG: left empty, Django refuses to sign anything (sessions, CSRF, reset
# links) and says so, while commands that sign nothing (makemigrations, collectstatic) still run.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    # Only a developer's machine (DEBUG=true) gets a throw-away key.
    SECRET_KEY = "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "anymail",
    "accounts",
    "catalogue",
    "subscriptions",
    "billing",
    "einvoicing",
    "privacy",
    "terminations",
    "rest_framework",
    "drf_spectacular",
    "api",
    "passes",
    "abuse",
    "portal",
]

MIDDLEWARE = [
    # The request id first, so that every log line of the request carries it; then the load
    # balancer's probes, answered before the host check and the HTTPS redirect (portal/health.py).
    "portal.observability.RequestIdMiddleware",
    "portal.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, less the static manifest (portal/static_files.py).
    "portal.static_files.StaticFilesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages served to someone signed in: Cache-Control private, no-store.
    "portal.static_files.PersonalPagesNoStoreMiddleware",
    # The second factor of the session (staff: TOTP, required by the admin, portal/admin.py).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # AxesMiddleware turns a lockout into the lockout page; it must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite when nothing is set, so that `make run` works on a bare machine; production and the
# tests use PostgreSQL through DATABASE_URL (postgres://user:password@host:port/name).
if "DATABASE_URL" not in env.ENVIRON:
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL outside DEBUG: each process keeps a bounded pool of connections (psycopg's pool),
# so load never exhausts the server's connections: at most DB_POOL_MAX_SIZE per process (as many
# as gunicorn's threads, deploy/gunicorn.conf.py), a request waiting DB_POOL_TIMEOUT seconds at
# most for one. A pool replaces persistent connections (CONN_MAX_AGE must then be 0).
DB_POOL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_POOL", default=not DEBUG
)
if DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A query run through lib.prepared is prepared on its 5th run on a connection; Django's own
    # cursors bind on the client and prepare nothing, whatever this says.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = env.int(
        "DB_PREPARE_THRESHOLD", default=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out account, or an address over its own limit, before
    # any password is checked.
    "accounts.backends.SignInLimitBackend",
    "accounts.backends.EmailOrMobileBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Lockout after 5 failed sign-ins on one account, whatever identifier is typed: its e-mail or
# any spelling of its mobile ("20 123 456", "+21620123456") count together (issue 16, point 5;
# accounts.backends.axes_username), lifted after the cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Per identifier, not per IP: mobile customers sit behind carrier-grade NAT, where one address
# is shared by thousands of people and an IP lockout would lock them all out (hence axes.W006).
AXES_LOCKOUT_PARAMETERS = ["username"]
# ...but one address guessing across many accounts is stopped past this many failures within
# the cool-off: high enough for a carrier's NAT, where thousands of customers share it.
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=500)
# Staff open identity documents: the admin asks for a TOTP code (django-otp) at every sign-in.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Portail client")
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SECURE = False  # set below with the other HTTPS flags
TIME_ZONE = "Africa/Tunis"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "TN"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded identity documents, letters and invoices live outside every static directory and
# have no MEDIA_URL: they are served only by authenticated views.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
MEDIA_URL = None
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Identity documents: PDF, JPEG or PNG, checked by their bytes (lib/uploads.py).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=50_000_000)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# HTTPS on by default outside DEBUG; a developer or the test suite on plain HTTP sets HTTPS=false.
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading commits every subdomain of the operator's domain to HTTPS in browsers for months and
# is hard to undo: the domain's owners opt in with SECURE_HSTS_PRELOAD=true. Until they do,
# check --deploy's reminder (W021) is a decision already taken, not an issue.
SILENCED_SYSTEM_CHECKS += ["security.W021"]
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)

# No inline script or style anywhere: every asset comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Each process keeps in memory the rendered fragments of pages whose data is frozen, such as an
# issued invoice's row of the customer's invoice list (billing/views.py), keyed by what they show.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": 24 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": env.int("FRAGMENT_CACHE_ENTRIES", default=50_000)},
    },
}

# E-mail: console on a laptop (readable: links whole, attachments by name and size); any
# Anymail provider or SMTP server in production.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="lib.emails.ConsoleEmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Portail client <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}

# Text messages to customers (suspensions, restorations): a class with `send(Sms)`; the console
# one writes them to standard output until an SMS gateway's class is given here.
SMS_BACKEND = env.str("SMS_BACKEND", default="lib.sms.ConsoleSmsBackend")
# The network side of provisioning (block, unblock, receive only, number release, SIM swap):
# a class with `send(...)`; the logging one writes each order to the log and confirms it.
PROVISIONING_BACKEND = env.str(
    "PROVISIONING_BACKEND", default="subscriptions.services.suspensions.LoggingNetwork"
)
# Lines per transaction in the suspension sweeps (subscriptions.services.sweeps).
SWEEP_BATCH_SIZE = env.int("SWEEP_BATCH_SIZE", default=2000)

# Electronic invoices (TEIF, El Fatoora of Tunisie TradeNet; einvoicing/). Whose invoices go to
# TTN: "companies" (customers identified by a matricule fiscal), "all", or "none". The signing
# certificate and key (PEM files, or one .p12/.pfx) and the key's password come from the
# environment; EINVOICE_BACKEND is the class that submits (recording by default: it keeps what it
# was sent and accepts it; einvoicing.backends.HttpBackend talks to EINVOICE_URL).
EINVOICE_SCOPE = env.str("EINVOICE_SCOPE", default="companies")
EINVOICE_CERTIFICATE = env.str("EINVOICE_CERTIFICATE", default="")
EINVOICE_KEY = env.str("EINVOICE_KEY", default="")
EINVOICE_KEY_PASSWORD = env.str("EINVOICE_KEY_PASSWORD", default="")
EINVOICE_BACKEND = env.str("EINVOICE_BACKEND", default="einvoicing.backends.RecordingBackend")
EINVOICE_URL = env.str("EINVOICE_URL", default="")
EINVOICE_LOGIN = env.str("EINVOICE_LOGIN", default="")
EINVOICE_PASSWORD = env.str("EINVOICE_PASSWORD", default="")
EINVOICE_TIMEOUT_SECONDS = env.int("EINVOICE_TIMEOUT_SECONDS", default=30)
# The namespace of the operations of El Fatoora's SOAP service (einvoicing.elfatoora).
EINVOICE_SOAP_NAMESPACE = env.str(
    "EINVOICE_SOAP_NAMESPACE", default="http://services.elfatoura.tradenet.com.tn/"
)
EINVOICE_SCHEMA_DIR = BASE_DIR / "einvoicing" / "schemas"
# TTN's signature policy, named in every supplier signature (XAdES-EPES): its identifier, its
# description, the SHA-256 (base64) of the policy document and where it is published. The
# defaults are those of TTN's signed sample; TTN confirms the current ones on enrolment.
EINVOICE_POLICY_ID = env.str("EINVOICE_POLICY_ID", default="urn:2.16.788.1.2.1")
EINVOICE_POLICY_DESCRIPTION = env.str(
    "EINVOICE_POLICY_DESCRIPTION", default="Politique de signature de la facture electronique"
)
EINVOICE_POLICY_SHA256 = env.str(
    "EINVOICE_POLICY_SHA256", default="3J1oMkha+OAlm9hBNCcAS+/nbKokG8Gf9N3XPipP7yg="
)
EINVOICE_POLICY_URL = env.str(
    "EINVOICE_POLICY_URL",
    default="http://www.tradenet.com.tn/portal/telechargerTelechargement"
    "?lien=Politique_de_Signature_de_la_facture_electronique.pdf",
)
# The signer's role claimed in the signature (SignerRoleV2).
EINVOICE_SIGNER_ROLE = env.str("EINVOICE_SIGNER_ROLE", default="Fournisseur")

# Celery: with no broker URL every task runs in-process at once (a laptop with nothing
# installed); production and the task tests give a Redis URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Workers log through LOGGING above (JSON lines with the task's id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Documents (PDF rendering and mailing) have their own queue, so that a billing run never waits
# behind thousands of PDFs; `make run` starts a worker that consumes both queues.
CELERY_TASK_ROUTES = {
    "billing.tasks.send_invoices": {"queue": "documents"},
    "billing.tasks.render_and_send_invoice": {"queue": "documents"},
    "billing.tasks.build_paper_batch": {"queue": "documents"},
    "einvoicing.tasks.send_einvoices": {"queue": "documents"},
    "einvoicing.tasks.send_einvoice": {"queue": "documents"},
    "einvoicing.tasks.render_registered_copy": {"queue": "documents"},
    "einvoicing.tasks.render_registered_copies": {"queue": "documents"},
}
# Accounts per billing task: a batch is one transaction (a worker killed in the middle loses at
# most one batch, which the rerun picks up) billed with a fixed number of queries. 1,000: each
# batch's commit waits for the disk and its invoice numbers are taken under one lock, so fewer,
# larger batches bill faster (bench: 4,200 invoices/s against 2,600 with 200 on two processes),
# while a batch still holds its accounts' locks for under a second.
BILLING_BATCH_SIZE = env.int("BILLING_BATCH_SIZE", default=1000)
# Issue 16: a usage file is imported this many rows per transaction (the memory of the import is
# one chunk's), and its first refused rows are listed with their numbers (all are counted).
USAGE_IMPORT_CHUNK_ROWS = env.int("USAGE_IMPORT_CHUNK_ROWS", default=5000)
USAGE_IMPORT_ERRORS_LISTED = env.int("USAGE_IMPORT_ERRORS_LISTED", default=1000)
# Issue 16: after this many seconds without news, a claimed invoice mail is a dead worker's, an
# invoice without its PDF or mail a lost message, a running billing run a stalled one: the beat
# job billing.tasks.redeliver_billing queues them again (billing/outbox.py).
OUTBOX_STALE_SECONDS = env.int("OUTBOX_STALE_SECONDS", default=300)

# Personal data (R21.1, R21.3): days a copy of a customer's data stays downloadable, and the
# first delay before an objection is delivered again to a recipient that did not acknowledge it
# (doubled at each attempt, capped at an hour).
PRIVACY_EXPORT_DAYS = env.int("PRIVACY_EXPORT_DAYS", default=7)
PRIVACY_DELIVERY_RETRY_SECONDS = env.int("PRIVACY_DELIVERY_RETRY_SECONDS", default=30)

# The API for the operator's other systems (TMF678 bills, TMF644 privacy; api/): registered
# systems' keys only, never a session; TM Forum's error shape and money with 3 decimals.
# API_PUBLIC_URL: the portal's public address, for the absolute links inside events.
API_PUBLIC_URL = env.str("API_PUBLIC_URL", default="")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.access.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.access.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.access.PerKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["api.http.TmfJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.http.tmf_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portal API: TMF678 Customer Bill and TMF644 Privacy",
    "DESCRIPTION": "For the operator's registered systems: `Authorization: Bearer <key>`.",
    "VERSION": "5.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.openapi.request_bodies_required",
    ],
}

# The operator's identity as printed on documents (invoices, letters).
OPERATOR = {
    "name": env.str("OPERATOR_NAME", default="Opérateur Mobile de Tunisie S.A."),
    "address": env.str(
        "OPERATOR_ADDRESS", default="Rue du Lac Léman, 1053 Les Berges du Lac, Tunis"
    ),
    "tax_id": env.str("OPERATOR_TAX_ID", default="0000000A/A/M/000"),
}

# Logs: one JSON object a line outside DEBUG (LOG_FORMAT=json), readable text on a laptop; each
# line carries the request's id (or the Celery task's), answered in X-Request-ID.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Errors of the web and of the workers reported to Sentry when a DSN is given (no personal data).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from portal.observability import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
