"""The one mail sender: renders a mail from the ``jinja2`` templates (an autoescaped
HTML part and a plain-text part) and sends it over SMTP with ``aiosmtplib``.

Every kind of mail goes through ``Mailer.send``, called only from durable consumers and
the digest job, never from a request: a slow or failing mail server delays mail (the
consumer retries with back-off, then dead letters) and never slows a request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import aiosmtplib
import jinja2

from shared.settings import Settings

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("services.accounts", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mail:
    """What a mail says: rendered by ``template`` (``<name>.txt`` and ``<name>.html``)."""

    to: str
    subject: str
    template: str
    context: dict[str, Any]
    # RFC 8058: a non-security mail names its one-click unsubscribe URL.
    unsubscribe_url: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # Stable per event and recipient: a resend after a crash carries the same id, which
    # lets a receiving server (and a reader) see it as the same mail.
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


# How a mail goes on the wire: SMTP's line ends, and a header folded only past 998
# characters (RFC 5322's hard limit). Python's folding at 78 left a space before the fold
# it made ahead of an encoded word, so readers showed two spaces: "to confirm  — Sunny room".
WIRE = policy.SMTP.clone(max_line_length=998)


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as it is sent (``WIRE``)."""
    return message.as_bytes(policy=WIRE)


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def render(self, mail: Mail) -> EmailMessage:
        context = {
            **mail.context,
            "subject": mail.subject,
            "unsubscribe_url": mail.unsubscribe_url,
            "settings_url": self.settings.public_url.rstrip("/") + "/#/settings",
        }
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        domain = self.settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "wardmate.test"
        message["Message-ID"] = make_msgid(idstring=mail.key[:40], domain=domain)
        if mail.unsubscribe_url:
            message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(_env.get_template(f"{mail.template}.txt").render(context))
        message.add_alternative(_env.get_template(f"{mail.template}.html").render(context), subtype="html")
        for item in mail.attachments:
            message.add_attachment(
                item.data, maintype=item.maintype, subtype=item.subtype, filename=item.filename, params=item.params
            )
        return message

    async def send(self, mail: Mail) -> None:
        """Render and hand the mail to the SMTP server; raises when it is not accepted."""
        s = self.settings
        if not s.smtp_host:
            raise RuntimeError("no SMTP server configured (WARDMATE_SMTP_HOST); the mail waits for one")
        await aiosmtplib.send(
            # Flattened here: aiosmtplib's own flattening folds at 78 (see WIRE).
            wire_bytes(self.render(mail)),
            sender=parseaddr(s.mail_from)[1],
            recipients=[mail.to],
            hostname=s.smtp_host,
            port=s.smtp_port,
            # Empty (an unset compose variable) means none: no login is attempted.
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_security == "tls",
            start_tls=True if s.smtp_security == "starttls" else False,
            timeout=s.smtp_timeout_s,
        )
