"""The support site: Django's admin, open only to staff whose session passed a second factor."""

from django_otp.admin import OTPAdminSite


class SupportSite(OTPAdminSite):
    site_header = "Member Portal support"
    site_title = "Member Portal support"

    def __init__(self, name="admin"):
        # The admin's own name, so its URLs stay admin:... (django-otp's default is "otpadmin").
        super().__init__(name)
