"""What the operator commands share."""

import getpass
import sys
from typing import Any

from django.core.management.base import CommandError

from .usernames import find_account


def operator_name() -> str:
    """The audit log's actor for a command: the operator's login on this machine."""
    try:
        return f"operator:{getpass.getuser()}"
    except OSError:
        return "operator:unknown"


def member_or_error(username: str) -> Any:
    member = find_account(username)
    if member is None:
        raise CommandError(f"No member is named {username!r}.")
    return member


def required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CommandError("Give a reason with --reason; it is written to the audit log.")
    return reason


def read_password(from_stdin: bool) -> str:
    """The new account's password: the first line of standard input, or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to prompt for a password; use --password-stdin.")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password (again): "):
        raise CommandError("The two passwords do not match.")
    return password
