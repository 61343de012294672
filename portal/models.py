"""The member's coverage: plans, enrollments, dependents, providers, claims and their service lines.

Money is always a DecimalField (two places); nothing here is ever a float.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def money(verbose_name, **options):
    return models.DecimalField(
        verbose_name, max_digits=10, decimal_places=2, validators=[MinValueValidator(0)], **options
    )


class Plan(models.Model):
    """A plan's cost sharing, as printed on the ID card and applied to every claim."""

    class Network(models.TextChoices):
        PPO = "PPO", "PPO"
        HMO = "HMO", "HMO"
        EPO = "EPO", "EPO"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    network = models.CharField(max_length=3, choices=Network.choices)
    deductible_individual = money(_("deductible, individual"))
    deductible_family = money(_("deductible, family"))
    out_of_pocket_max_individual = money(_("out-of-pocket maximum, individual"))
    out_of_pocket_max_family = money(_("out-of-pocket maximum, family"))
    # The member's share of the allowed amount once the deductible is met.
    coinsurance_percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    copay_primary_care = money(_("primary care copay"))
    copay_specialist = money(_("specialist copay"))
    copay_urgent_care = money(_("urgent care copay"))
    copay_emergency = money(_("emergency room copay"))
    # Printed on the card for the pharmacy.
    rx_bin = models.CharField(_("Rx BIN"), max_length=6)
    rx_pcn = models.CharField(_("Rx PCN"), max_length=10)
    rx_group = models.CharField(_("Rx group"), max_length=15)

    def __str__(self):
        return self.name


class Enrollment(models.Model):
    """The member's current coverage: which plan, through which group, and their member ID."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollment")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="enrollments")
    member_number = models.CharField(_("member ID"), max_length=20, unique=True)
    group_number = models.CharField(max_length=20)
    group_name = models.CharField(max_length=100)
    coverage_start = models.DateField()
    coverage_end = models.DateField(null=True, blank=True)
    # Deductible and out-of-pocket totals count from this day for a year.
    plan_year_start = models.DateField()

    def __str__(self):
        return f"{self.member_number} ({self.plan})"


class Dependent(models.Model):
    """A family member covered under the member's enrollment, with their own ID card."""

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARTNER = "partner", _("Domestic partner")
        CHILD = "child", _("Child")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="dependents")
    # The two digits after the member ID on this person's card; the member's own card is 00.
    suffix = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(99)])
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    date_of_birth = models.DateField()

    class Meta:
        ordering = ["enrollment", "suffix"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "suffix"], name="one_dependent_per_suffix")]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"


class Provider(models.Model):
    """A doctor, practice, lab or hospital that sends us claims."""

    name = models.CharField(max_length=150)
    specialty = models.CharField(max_length=80)
    npi = models.CharField(_("NPI"), max_length=10, unique=True)
    city = models.CharField(max_length=80)
    state = models.CharField(max_length=2)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Claim(models.Model):
    """A bill a provider sent us for care given to the member or a dependent."""

    class Status(models.TextChoices):
        IN_REVIEW = "in_review", _("In review")
        PROCESSED = "processed", _("Processed")
        DENIED = "denied", _("Denied")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="claims")
    # Empty when the patient is the member themself.
    dependent = models.ForeignKey(Dependent, on_delete=models.PROTECT, null=True, blank=True, related_name="claims")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="claims")
    claim_number = models.CharField(max_length=20, unique=True)
    service_date = models.DateField(help_text=_("The first day of service on the claim."))
    received_on = models.DateField()
    processed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    # Said to the member in plain words on the explanation of benefits.
    status_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-service_date", "-id"]
        indexes = [models.Index(fields=["enrollment", "-service_date"], name="claims_by_member_date")]

    def __str__(self):
        return self.claim_number

    @property
    def is_in_review(self):
        return self.status == self.Status.IN_REVIEW


class ServiceLine(models.Model):
    """One service on a claim and how its cost was shared; allowed = plan paid + member owes."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    service_date = models.DateField()
    procedure_code = models.CharField(max_length=10)
    description = models.CharField(max_length=200)
    billed = money(_("billed"))
    allowed = money(_("allowed"))
    plan_paid = money(_("plan paid"))
    deductible = money(_("deductible"))
    copay = money(_("copay"))
    coinsurance = money(_("coinsurance"))
    member_owes = money(_("member owes"))

    class Meta:
        ordering = ["claim", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_number"], name="one_line_per_number"),
            # The network price never exceeds what the provider billed.
            models.CheckConstraint(condition=Q(allowed__lte=F("billed")), name="allowed_within_billed"),
        ]

    def __str__(self):
        return gettext("%(claim)s line %(number)s") % {"claim": self.claim, "number": self.line_number}


class ContactDetails(models.Model):
    """How to reach the member by phone and post; the email address lives on the account."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_details")
    phone = models.CharField(max_length=20, blank=True)
    address_line1 = models.CharField(_("street address"), max_length=100, blank=True)
    address_line2 = models.CharField(_("apartment, suite, etc."), max_length=100, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("contact details")

    def __str__(self):
        return gettext("Contact details of %(member)s") % {"member": self.member}
