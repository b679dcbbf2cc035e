"""Notifications about cases (reminders before a case is due, escalations) and other records
(e.g. coaching follow-ups, ``record="coaching_session"``), through pluggable channels.

A channel is anything with a ``name`` and ``send(notification)``; two ship:

* ``SmtpChannel``: an e-mail through an SMTP server (``smtplib``; STARTTLS and login
  optional; the password from ``$CXLOOP_SMTP_PASSWORD``). Sent to the recipient's e-mail
  in the app store's users, else to ``cases.notify_email``; skipped if neither exists.
* ``WebhookChannel``: a JSON POST (``httpx``) of the notification to ``cases.webhook_url``.

A failed delivery raises ``NotificationFailed``; callers report it and go on.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from ..errors import NotificationFailed
from ..settings import Settings

PASSWORD_ENV = "CXLOOP_SMTP_PASSWORD"


@dataclass
class Notification:
    """One message about one record (a case unless ``record`` says otherwise), for one person.

    For a case, ``case_id`` and ``case`` describe it; for any other record, ``record``
    names its kind, ``record_id`` its id and ``details`` its values (``case_id`` is None).
    """

    kind: str  # "reminder", "escalation", "overdue"...
    case_id: int | None
    recipient: str  # owner: a username, employee id or queue
    email: str | None
    subject: str
    text: str
    case: dict[str, Any] = field(default_factory=dict)
    record: str = "case"
    record_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def about(self) -> str:
        """The record in words, e.g. "case 7" or "coaching_session 12"."""
        return f"{self.record} {self.record_id if self.record_id is not None else self.case_id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Channel(Protocol):
    """Where notifications go."""

    name: str

    def send(self, notification: Notification) -> bool:
        """Deliver it; False if this channel has nowhere to send it; NotificationFailed."""
        ...


@dataclass
class SmtpChannel:
    host: str
    port: int = 25
    sender: str = "cxloop@localhost"
    starttls: bool = False
    user: str = ""
    password: str = ""
    fallback_to: str = ""
    timeout: float = 10.0
    name: str = "email"

    def send(self, notification: Notification) -> bool:
        to = notification.email or self.fallback_to
        if not to:
            return False
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, notification.subject
        msg.set_content(notification.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as e:
            raise NotificationFailed(
                f"e-mail to {to} through {self.host}:{self.port} failed: {e}"
            ) from None
        return True


@dataclass
class WebhookChannel:
    url: str
    timeout: float = 10.0
    name: str = "webhook"

    def send(self, notification: Notification) -> bool:
        try:
            reply = httpx.post(self.url, json=notification.to_dict(), timeout=self.timeout)
            reply.raise_for_status()
        except httpx.HTTPError as e:
            raise NotificationFailed(f"webhook {self.url} failed: {e}") from None
        return True


def channels_from_settings(settings: Settings) -> list[Channel]:
    """The channels ``[cases]`` configures: e-mail if ``smtp_host``, webhook if ``webhook_url``."""
    c = settings.cases
    out: list[Channel] = []
    if c.smtp_host:
        out.append(SmtpChannel(c.smtp_host, c.smtp_port, c.smtp_from, c.smtp_starttls,
                               c.smtp_user, os.environ.get(PASSWORD_ENV, ""),
                               c.notify_email))  # fmt: skip
    if c.webhook_url:
        out.append(WebhookChannel(c.webhook_url))
    return out


def deliver(notifications: list[Notification], channels: list[Channel]) -> tuple[int, list[str]]:
    """Send each notification through every channel: (deliveries, failure messages)."""
    sent, failures = 0, []
    for n in notifications:
        for channel in channels:
            try:
                sent += bool(channel.send(n))
            except NotificationFailed as e:
                failures.append(f"{n.about} ({channel.name}): {e}")
    return sent, failures
