"""A real SMTP server on loopback (aiosmtpd) for the live tests: it keeps what it accepts, and can
answer slowly, refuse an address, hold a message before accepting it, or be stopped and started
again on the same port."""

import asyncio
import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .servers import free_port


@dataclass
class Received:
    message: EmailMessage
    recipients: list[str]
    accepted_at: float  # time.time() as the server answered 250


@dataclass
class Mailbox:
    """The aiosmtpd handler: what arrived, and how to answer."""

    delay: float = 0.0  # seconds before each message is accepted
    refuse: set[str] = field(default_factory=set)  # addresses answered 550
    holding: bool = False  # while True, a message waits before its 250 (a client that dies then sent nothing)
    received: list[Received] = field(default_factory=list)
    sessions_held: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.holding:
            self.sessions_held += 1
            while self.holding:  # cancelled by aiosmtpd if the client goes away meanwhile
                await asyncio.sleep(0.05)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append(Received(message, list(envelope.rcpt_tos), time.time()))
        return "250 Message accepted for delivery"

    def messages(self, subject=None):
        with self._lock:
            return [r for r in self.received if subject is None or r.message["Subject"] == subject]

    def wait_for(self, count, *, subject=None, timeout=30):
        """The messages once `count` have arrived (with `subject`), or what arrived by the deadline."""
        deadline = time.monotonic() + timeout
        while len(self.messages(subject)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages(subject)


class SMTPServer:
    def __init__(self, mailbox=None, port=None):
        self.mailbox = mailbox or Mailbox()
        self.port = port or free_port()
        self._controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
