from django.core.management.base import BaseCommand

from security.commands import member_or_error, operator_name, required_reason
from security.lockout import unfreeze_account


class Command(BaseCommand):
    help = "Unfreeze a member's account and clear its failed sign-in attempts."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why; written to the audit log.")

    def handle(self, *args, **options):
        member = member_or_error(options["username"])
        reason = required_reason(options["reason"])
        if unfreeze_account(member=member, reason=reason, actor=operator_name()):
            self.stdout.write(f"Unfroze {member.get_username()}.")
        else:
            self.stdout.write(f"{member.get_username()} was not frozen; nothing changed.")
