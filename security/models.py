from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from .fields import UnmigratedChoicesCharField


class SecurityEvent(models.Model):
    """One line of the security audit log. Never holds a password or an answer."""

    class Kind(models.TextChoices):
        SIGN_IN_SUCCEEDED = "sign_in_succeeded", _("Sign-in succeeded")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_IN_REFUSED_FROZEN = "sign_in_refused_frozen", _("Sign-in refused: account frozen")
        SIGN_IN_REFUSED_BUSY = "sign_in_refused_busy", _("Sign-in refused: checks already under way")
        SIGN_IN_REFUSED_ADDRESS = "sign_in_refused_address", _("Sign-in refused: too many from address")
        ACCOUNT_FROZEN = "account_frozen", _("Account frozen")
        ACCOUNT_UNFROZEN = "account_unfrozen", _("Account unfrozen")
        SIGNED_OUT = "signed_out", _("Signed out")
        MEMBER_CREATED = "member_created", _("Member created")
        QUESTIONS_SET = "questions_set", _("Security questions set")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        RESET_STARTED = "reset_started", _("Password reset started")
        RESET_ANSWERS_FAILED = "reset_answers_failed", _("Password reset: wrong answers")
        RESET_LOCKED = "reset_locked", _("Password reset locked")
        RESET_REFUSED_LOCKED = "reset_refused_locked", _("Password reset refused: locked")
        RESET_ANSWERS_PASSED = "reset_answers_passed", _("Password reset: answers passed")
        PASSWORD_RESET = "password_reset", _("Password reset completed")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Two-factor code refused")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("Two-factor sign-in removed")
        BACKUP_CODES_REPLACED = "backup_codes_replaced", _("Backup codes replaced")
        SESSION_EXPIRED_IDLE = "session_expired_idle", _("Session ended: inactivity")
        SESSION_EXPIRED_MAX_AGE = "session_expired_max_age", _("Session ended: maximum length")
        SESSION_ENDED_RETURN = "session_ended_return", _("Session ended: returned from outside")
        SESSION_LOCKED_RETURN = "session_locked_return", _("Session locked: returned from outside")
        SESSION_CONFIRMED = "session_confirmed", _("Session unlocked: password confirmed")
        SESSION_ENDED = "session_ended", _("Session ended by the member or staff")
        BROWSER_REFUSED = "browser_refused", _("Outdated browser turned away")
        AUDIT_PURGED = "audit_purged", _("Old audit events purged")
        NEW_QUESTIONS_REQUIRED = "new_questions_required", _("New security questions required")
        PASSWORD_CHANGE_REQUIRED = "password_change_required", _("Password change required")
        AUDIT_EXPORTED = "audit_exported", _("Audit log exported")
        PASSWORD_SET_BY_OPERATOR = "password_set_by_operator", _("Password set by an operator")
        CONTACT_DETAILS_CHANGED = "contact_details_changed", _("Contact details changed")
        EMAIL_CHANGED = "email_changed", _("Email address changed")
        EMAIL_CHANGE_REQUESTED = "email_change_requested", _("Email change requested: link sent to the new address")
        EMAIL_CHANGE_CANCELLED = "email_change_cancelled", _("Email change cancelled")
        RESET_HELD = "reset_held", _("Password reset locked until staff unlock it")
        RESET_UNLOCKED = "reset_unlocked", _("Password reset unlocked by staff")
        RESET_REFUSED_ADDRESS = "reset_refused_address", _("Password reset refused: too many from address")
        RESET_CODE_FAILED = "reset_code_failed", _("Password reset: two-factor code refused")
        RESET_CODE_PASSED = "reset_code_passed", _("Password reset: two-factor code passed")
        NOTICE_REQUEUED = "notice_requeued", _("Security notice queued again by staff")
        PASSKEY_ADDED = "passkey_added", _("Passkey added")
        PASSKEY_RENAMED = "passkey_renamed", _("Passkey renamed")
        PASSKEY_REMOVED = "passkey_removed", _("Passkey removed")
        PASSKEY_USED = "passkey_used", _("Passkey used")
        PASSKEY_FAILED = "passkey_failed", _("Passkey refused")
        STAFF_PASSKEY_POLICY_CHANGED = "staff_passkey_policy_changed", _("Staff passkey requirement changed")

    # What the member's pages and the staff overview count as a failed sign-in.
    FAILED_SIGN_IN_KINDS = (Kind.SIGN_IN_FAILED, Kind.SECOND_FACTOR_FAILED, Kind.SIGN_IN_REFUSED_FROZEN)

    # Position in the tamper-evident chain (security/chain.py): 1, 2, 3... with no gaps, given when
    # the event is sealed; None until then.
    sequence = models.BigIntegerField(_("sequence"), unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # Its choices are left out of migrations: a new kind changes no column, so it needs no migration.
    kind = UnmigratedChoicesCharField(_("kind"), max_length=40, choices=Kind.choices)
    # The username exactly as typed (it may name no member), cut to the field's length.
    username = models.CharField(_("username"), max_length=150, blank=True)
    # PROTECT: deleting a member must never rewrite (and so break) the audit chain. No index of its
    # own: event_member_id serves every lookup by member, and each index costs every sign-in's write.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="security_events",
        db_index=False,
    )
    # Who made the change when it was not the member: a staff member or an operator's login name.
    actor = models.CharField(_("by"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser (user agent)"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64, default="", editable=False)
    # Sealed: the row's link in the chain. Until then: its entry MAC, so it cannot be altered or forged
    # while it waits.
    row_hash = models.CharField(_("row hash"), max_length=64, default="", editable=False)

    class Meta:
        # Newest first by id: set at insert, so unsealed events are listed in their place too.
        ordering = ["-id"]
        # One index per filter of the audit list, each ending in the list's ordering.
        indexes = [
            models.Index(fields=["kind", "id"], name="event_kind_id"),
            models.Index(fields=["username", "id"], name="event_username_id"),
            models.Index(fields=["member", "id"], name="event_member_id"),
            models.Index(fields=["ip_address", "id"], name="event_ip_id"),
        ]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        permissions = [("export_securityevent", "Can export the audit log")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"


class VerificationGate(models.Model):
    """Per-username count of password checks under way, reserved before the hasher runs.

    Locked with SELECT ... FOR UPDATE while a check is reserved, so that the failures already
    recorded plus the checks in flight never exceed the freeze limit, whatever the concurrency.
    `in_flight` is the number of the username's VerificationSlot rows, changed only under this lock.
    """

    username = models.CharField(max_length=255, unique=True)
    in_flight = models.PositiveIntegerField(default=0)
    # The username's latest reservation: a gate idle since the retention period is deleted.
    last_reserved_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.username}: {self.in_flight} in flight"


class VerificationSlot(models.Model):
    """One password check under way, taken before the hasher runs and deleted once its outcome is
    committed. A slot older than PORTAL_VERIFICATION_RESERVATION_SECONDS (its worker was killed,
    or the database went away before the release) no longer counts, whatever else the account does."""

    username = models.CharField(max_length=255)
    taken_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["username", "taken_at"], name="verification_slot_age")]

    def __str__(self) -> str:
        return f"{self.username} since {self.taken_at:%H:%M:%S}"


class SecurityAnswer(models.Model):
    """One of a member's security questions, with the answer stored only as a password hash."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_answers")
    position = models.PositiveSmallIntegerField()
    question = models.CharField(max_length=40)
    answer_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["member", "position"]
        constraints = [
            models.UniqueConstraint(fields=["member", "position"], name="one_answer_per_position"),
            models.UniqueConstraint(fields=["member", "question"], name="one_answer_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.member} question {self.position}"


class ResetStrikes(models.Model):
    """Failed checks in the reset tool (wrong answers, wrong codes), per account key (security.usernames).

    `failures` counts toward a lock of PORTAL_RESET_LOCK_SECONDS and starts again after it;
    `total_failures` never does: at PORTAL_RESET_TOTAL_FAILURE_LIMIT the tool is held locked until
    staff or an operator unlock it. Only a completed reset or that unlock clears either count.
    """

    username = models.CharField(max_length=255, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    total_failures = models.PositiveIntegerField(default=0)
    held = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = _("reset strikes")

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"


class PasswordHistory(models.Model):
    """Hashes of a member's recent passwords, so none of the last few is chosen again."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("password history")

    def __str__(self) -> str:
        return f"{self.member} at {self.created_at:%Y-%m-%d}"


class MemberSession(models.Model):
    """A signed-in session, as the member sees it on the "Active sessions" page."""

    session_key = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)
    # Set when the member came back from outside, cleared by "Confirm it's you". Kept on the row, not
    # in the session data, so a request still running in another tab cannot save the lock away.
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_activity_at"]
        indexes = [models.Index(fields=["member", "ended_at"], name="member_session_open")]

    def __str__(self) -> str:
        return f"{self.member} since {self.created_at:%Y-%m-%d %H:%M}"


class AuditChainHead(models.Model):
    """The newest link of the audit chain. Locked while events are sealed, so links never fork (sign-ins
    never take it); also the anchor that reveals rows cut from either end of the log (security/chain.py)."""

    sequence = models.BigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default="")
    # HMAC of (sequence, row_hash): a head set without the chain key does not verify.
    head_seal = models.CharField(max_length=64, default="", db_default="")
    # The link before the oldest row kept, after a purge: where verification starts.
    purged_through_sequence = models.BigIntegerField(default=0)
    purged_through_hash = models.CharField(max_length=64, default="")
    # The audit_purged event that moved the checkpoint, and an HMAC binding the three together.
    purge_event_sequence = models.BigIntegerField(default=0, db_default=0)
    checkpoint_seal = models.CharField(max_length=64, default="", db_default="")

    def __str__(self) -> str:
        return f"audit chain at {self.sequence}"


class BackupCodeDevice(Device):
    """A member's single-use backup codes for two-factor sign-in, kept only as hashes."""

    code_hashes = models.JSONField(default=list)

    class Meta(Device.Meta):
        # Made as an accounts model (accounts migration 0003): the table keeps that name.
        db_table = "accounts_backupcodedevice"
        verbose_name = _("backup codes")
        verbose_name_plural = _("backup codes")

    def verify_token(self, token: object) -> bool:
        code = normalize_backup_code(token)
        if not code:
            return False
        with transaction.atomic():
            # Locked, so the same code used twice at once is accepted once.
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            for index, encoded in enumerate(locked.code_hashes):
                if check_password(code, encoded):
                    del locked.code_hashes[index]
                    locked.save(update_fields=["code_hashes"])
                    self.code_hashes = locked.code_hashes
                    return True
        return False


def normalize_backup_code(token: object) -> str:
    return "".join(ch for ch in str(token).lower() if ch.isalnum())[:32]


class SecurityNotice(models.Model):
    """One security notice email: the outbox row, written in the transaction of the change it reports.

    Delivered by the task worker (security/tasks.py), which retries with back-off; one that still
    fails is FAILED, listed in the support site and by `manage.py notices --failed`. The body holds
    no password, answer or code, and no link that signs in.
    """

    class Kind(models.TextChoices):
        ACCOUNT_FROZEN = "account_frozen", _("Account frozen")
        ACCOUNT_UNFROZEN = "account_unfrozen", _("Account unfrozen")
        NEW_BROWSER_SIGN_IN = "new_browser_sign_in", _("Sign-in from a new browser")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        QUESTIONS_CHANGED = "questions_changed", _("Security questions changed")
        RESET_LOCKED = "reset_locked", _("Password reset locked")
        RESET_HELD = "reset_held", _("Password reset held for staff")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in on")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("Two-factor sign-in removed")
        BACKUP_CODES_REPLACED = "backup_codes_replaced", _("Backup codes replaced")
        EMAIL_CHANGED = "email_changed", _("Email address changed (to the old address)")
        CONFIRM_NEW_EMAIL = "confirm_new_email", _("Confirmation link (to the new address)")
        PASSKEY_ADDED = "passkey_added", _("Passkey added")
        PASSKEY_REMOVED = "passkey_removed", _("Passkey removed")
        PASSKEY_NEW_DEVICE = "passkey_new_device", _("Passkey used on a new device")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")  # waiting for its first attempt, or for the next after a failure
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")  # out of attempts, refused for good, or no address to send to

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    # SET_NULL: a deleted member's notices stay listed for the record.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_notices",
    )
    to_address = models.EmailField(_("to"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"),
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The one delivery task allowed to act on the row now; any other (an older lease, a duplicate) does nothing.
    token = models.CharField(_("token"), max_length=32, blank=True)
    # member:kind:address:time slot, so two changes at once cannot both mail within one repeat window.
    repeat_key = models.CharField(_("repeat key"), max_length=255, unique=True, null=True, blank=True)
    # Later notices of the same kind within the repeat window, counted here instead of mailed.
    repeats = models.PositiveIntegerField(_("repeats"), default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="notice_status_id"),
            models.Index(fields=["member", "kind", "created_at"], name="notice_member_kind"),
        ]
        verbose_name = _("security notice")
        verbose_name_plural = _("security notices")
        permissions = [("requeue_securitynotice", "Can queue a failed security notice again")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address or 'nobody'} ({self.get_status_display()})"


class UsedPasskeyChallenge(models.Model):
    """A passkey challenge that has been answered: the primary key refuses a second answer to it,
    on every server at once, however many arrive together. Kept for as long as a challenge lives."""

    digest = models.CharField(_("challenge (SHA-256)"), max_length=64, primary_key=True)
    used_at = models.DateTimeField(_("used"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used passkey challenge")
        verbose_name_plural = _("used passkey challenges")

    def __str__(self) -> str:
        return self.digest


class StaffSignInPolicy(models.Model):
    """How staff reach the support site, set by the Security role there (one row). With
    PORTAL_STAFF_REQUIRE_PASSKEY in the environment, passkeys are required whatever the row says."""

    require_passkey = models.BooleanField(
        _("staff sign in with a passkey"),
        default=False,
        help_text=_(
            "On: the support site takes only sessions verified with a passkey. Staff who signed in with a "
            "code are asked to use their passkey, or to add one, before they go on."
        ),
    )
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True, editable=False)
    changed_by = models.CharField(_("changed by"), max_length=150, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff sign-in policy")
        verbose_name_plural = _("staff sign-in policy")

    def __str__(self) -> str:
        return str(_("Staff sign-in policy"))
