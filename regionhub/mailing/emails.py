"""The emails of the mailing lists: an issue of the Regional Update, rendered once and
personalised per subscriber, and the double opt-in confirmation.

`issue_email(issue)` renders the templates and inlines the CSS once per issue, and encodes
the fixed text between the personal parts as quoted-printable once too; `personalise(...)` is
what a campaign calls for each recipient, so it does no template rendering, no CSS work and no
database query: it fills the placeholders with string joins, encodes only the few personal
values, and signs two tokens (unsubscribe and preferences, one HMAC each). The message it returns
assembles its MIME form by string joins (`IssueMessage.message()`), which is many times quicker
than the standard library's generator.

How the encoded pieces join up: quoted-printable limits lines to 76 characters, so an encoding
depends on where a line starts. Each piece is therefore encoded as if it began a line, and ends
with a soft line break ("=" at the end of a line, which decoding removes), so that the next piece
does begin a line. The decoded text is exactly the filled-in text.
"""

import binascii
import functools
import html
import re
import textwrap
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate, make_msgid
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import forbid_multi_line_headers
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from . import tokens

NEUTRAL_GREETING = "Dear colleague,"
ONE_CLICK = "List-Unsubscribe=One-Click"

# Markers the templates leave for the personal parts; letters, digits and hyphens only, so they
# pass through HTML serialisation and CSS inlining unchanged.
_MARK = "RH-MAIL-{}-7C1E"
GREETING = _MARK.format("GREETING")
EMAIL = _MARK.format("EMAIL")
UNSUBSCRIBE_URL = _MARK.format("UNSUBSCRIBE")
PREFERENCES_URL = _MARK.format("PREFERENCES")
_SPLIT = re.compile(
    "(" + "|".join(re.escape(m) for m in (GREETING, EMAIL, UNSUBSCRIBE_URL, PREFERENCES_URL)) + ")"
)
_TOKEN = "RHTOKEN"

_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _url_around_token(url_name: str) -> tuple[str, str]:
    """The absolute URL of `url_name` split where its token goes, so that a personal URL is
    two concatenations instead of a reverse()."""
    url = absolute(reverse(url_name, args=[_TOKEN]))
    before, _, after = url.partition(_TOKEN)
    return before, after


def unsubscribe_url(subscriber_id: int, list_id: int) -> str:
    return absolute(
        reverse("mailing:unsubscribe", args=[tokens.unsubscribe_token(subscriber_id, list_id)])
    )


def preferences_url(subscriber_id: int) -> str:
    return absolute(reverse("mailing:preferences", args=[tokens.preferences_token(subscriber_id)]))


def _list_id_domain() -> str:
    return (urlsplit(settings.SITE_URL).hostname or "localhost").strip(".")


@dataclass(frozen=True)
class IssueEmail:
    """One issue rendered for email. `html` (CSS inlined) and `text` hold the placeholders
    `personalise` fills; the other fields are derived once, here, for its sake."""

    issue_id: int
    subject: str
    html: str
    text: str
    _html_parts: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _text_parts: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _html_encoded: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _text_encoded: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _unsubscribe: tuple[str, str] = field(init=False, repr=False, compare=False)
    _preferences: tuple[str, str] = field(init=False, repr=False, compare=False)
    _list_id_domain: str = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # re.split with one group: literal text at even positions, markers at odd ones.
        object.__setattr__(self, "_html_parts", tuple(_SPLIT.split(self.html)))
        object.__setattr__(self, "_text_parts", tuple(_SPLIT.split(self.text)))
        object.__setattr__(self, "_html_encoded", _encoded_pieces(self._html_parts))
        object.__setattr__(self, "_text_encoded", _encoded_pieces(self._text_parts))
        object.__setattr__(self, "_unsubscribe", _url_around_token("mailing:unsubscribe"))
        object.__setattr__(self, "_preferences", _url_around_token("mailing:preferences"))
        object.__setattr__(self, "_list_id_domain", _list_id_domain())


def _fill(parts: tuple[str, ...], values: dict[str, str]) -> str:
    return "".join(values[part] if index % 2 else part for index, part in enumerate(parts))


def _qp_piece(text: str) -> str:
    """`text` quoted-printable as if it began a line, ending where a line ends: a soft line
    break is added when it does not end with its own, and the last line is cut first if the
    "=" would take it past 76 characters (never inside an "=XX" escape)."""
    encoded = _qp(text)
    if not encoded or encoded.endswith("\n"):
        return encoded
    start = encoded.rfind("\n") + 1
    if len(encoded) - start > 75:
        cut = start + 75
        if encoded[cut - 1] == "=":
            cut -= 1
        elif encoded[cut - 2] == "=":
            cut -= 2
        encoded = encoded[:cut] + "=\r\n" + encoded[cut:]
    return encoded + "=\r\n"


def _encoded_pieces(parts: tuple[str, ...]) -> tuple[str, ...]:
    """The literal pieces of `parts` (even positions) encoded once; the markers left for
    `_fill_encoded`. The last piece keeps no soft break: nothing follows it."""
    last = len(parts) - 1
    return tuple(
        part if index % 2 else (_qp(part) if index == last else _qp_piece(part))
        for index, part in enumerate(parts)
    )


def _fill_encoded(pieces: tuple[str, ...], values: dict[str, str]) -> str:
    """`_qp(_fill(parts, values))`, up to where soft line breaks fall: only the values are
    encoded here."""
    last = len(pieces) - 1
    return "".join(
        (_qp(values[piece]) if index == last else _qp_piece(values[piece])) if index % 2 else piece
        for index, piece in enumerate(pieces)
    )


def personalise(
    rendered: IssueEmail,
    *,
    subscriber_id: int,
    list_id: int,
    email: str,
    name: str,
    connection=None,
) -> EmailMultiAlternatives:
    """The message of `rendered` for one subscriber of one list: greeting, unsubscribe and
    preferences links, and the RFC 2369 / RFC 8058 list headers. No database query."""
    before, after = rendered._unsubscribe
    unsubscribe = before + tokens.unsubscribe_token(subscriber_id, list_id) + after
    before, after = rendered._preferences
    preferences = before + tokens.preferences_token(subscriber_id) + after
    name = " ".join(name.split())
    greeting = f"Dear {name}," if name else NEUTRAL_GREETING
    text_values = {
        GREETING: greeting,
        EMAIL: email,
        UNSUBSCRIBE_URL: unsubscribe,
        PREFERENCES_URL: preferences,
    }
    html_values = {marker: html.escape(value) for marker, value in text_values.items()}
    text = _fill(rendered._text_parts, text_values)
    body_html = _fill(rendered._html_parts, html_values)
    message = IssueMessage(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": ONE_CLICK,
            "List-Id": f"<list-{list_id}.{rendered._list_id_domain}>",
            # Set here so that building the message never looks up the host name.
            "Message-ID": make_msgid(domain=rendered._list_id_domain),
        },
    )
    message.attach_alternative(body_html, "text/html")
    message._encoded = _Encoded(
        text=text,
        text_qp=_fill_encoded(rendered._text_encoded, text_values),
        html=body_html,
        html_qp=_fill_encoded(rendered._html_encoded, html_values),
    )
    return message


@dataclass(frozen=True)
class _Encoded:
    """The bodies `personalise` made, with their quoted-printable forms; used only while the
    message still holds these very strings."""

    text: str
    text_qp: str
    html: str
    html_qp: str


# The MIME form, by string joins ----------------------------------------------------------------

_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+")
_HANDLED = {"from", "to", "cc", "reply-to"}
_BOUNDARY = "===============RegionHub-issue-7C1E=="  # QP bodies cannot contain "==="


@functools.lru_cache(maxsize=256)
def _header(name: str, value: str) -> str:
    """A header value encoded as Django encodes it (RFC 2047 for a non-ASCII subject)."""
    return forbid_multi_line_headers(name, value, "utf-8")[1]


def _qp(text: str) -> str:
    """Quoted-printable, lines ending CRLF as they go over SMTP."""
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.decode("ascii").replace("\n", "\r\n")


class AssembledMessage(Message):
    """A real multipart/alternative `email.message.Message` (headers and parts can be read as
    usual) whose bytes were assembled once, lines ending CRLF, so `as_bytes(linesep="\r\n")`,
    which is how it is sent, costs nothing more."""

    def __init__(self, data: str, headers: list[tuple[str, str]], parts: list[Message]):
        super().__init__()
        self._data = data
        self._headers = headers  # type: ignore[attr-defined]
        self._payload = parts  # type: ignore[attr-defined]

    def as_string(self, unixfrom=False, maxheaderlen=0, policy=None, linesep="\n"):
        return self._data if linesep == "\r\n" else self._data.replace("\r\n", linesep)

    def as_bytes(self, unixfrom=False, policy=None, linesep="\n"):
        return self.as_string(linesep=linesep).encode("ascii")

    __str__ = as_string
    __bytes__ = as_bytes


def _part(content_type: str, body: str) -> Message:
    part = Message()
    part._headers = [  # type: ignore[attr-defined]
        ("Content-Type", f'{content_type}; charset="utf-8"'),
        ("MIME-Version", "1.0"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    part._payload = body  # type: ignore[attr-defined]
    return part


class IssueMessage(EmailMultiAlternatives):
    """The message `personalise` returns. `message()` assembles the MIME form by string joins
    (both parts quoted-printable, so 7-bit clean whatever the line lengths), from the bodies
    `personalise` encoded while they are still the message's; anything this does not cover —
    an attachment, Cc, a non-ASCII address or header — takes Django's usual path, so changing
    the message after `personalise` is always safe."""

    _encoded: "_Encoded | None" = None

    def message(self, **kwargs: Any) -> Any:
        return self._assembled() or super().message(**kwargs)

    def _assembled(self) -> AssembledMessage | None:
        if self.attachments or self.cc or self.reply_to or len(self.to) != 1:
            return None
        if len(self.alternatives) != 1 or self.alternatives[0][1] != "text/html":
            return None
        if (self.encoding or settings.DEFAULT_CHARSET).lower().replace("-", "") != "utf8":
            return None
        to = self.to[0]
        html_body = self.alternatives[0][0]
        if not (isinstance(html_body, str) and to.isascii() and _PLAIN_ADDRESS.fullmatch(to)):
            return None
        headers = [
            ("Content-Type", f'multipart/alternative; boundary="{_BOUNDARY}"'),
            ("MIME-Version", "1.0"),
            ("Subject", _header("Subject", self.subject)),
            ("From", _header("From", self.extra_headers.get("From", self.from_email))),
            ("To", to),
        ]
        names = {name.lower() for name in self.extra_headers}
        if "date" not in names:
            headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
        if "message-id" not in names:
            headers.append(("Message-ID", make_msgid(domain=_list_id_domain())))
        for name, value in self.extra_headers.items():
            if name.lower() in _HANDLED:
                continue
            value = str(value)
            if not value.isascii() or "\n" in value or "\r" in value or len(value) > 900:
                return None
            headers.append((name, value))
        encoded = self._encoded
        if encoded is not None and self.body is encoded.text:
            text_part = encoded.text_qp
        else:
            text_part = _qp(str(self.body))
        if encoded is not None and html_body is encoded.html:
            html_part = encoded.html_qp
        else:
            html_part = _qp(html_body)
        data = "".join(
            [
                *(f"{name}: {value}\r\n" for name, value in headers),
                f"\r\n--{_BOUNDARY}\r\n",
                'Content-Type: text/plain; charset="utf-8"\r\nMIME-Version: 1.0\r\n',
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                text_part,
                f"\r\n--{_BOUNDARY}\r\n",
                'Content-Type: text/html; charset="utf-8"\r\nMIME-Version: 1.0\r\n',
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                html_part,
                f"\r\n--{_BOUNDARY}--\r\n",
            ]
        )
        parts = [_part("text/plain", text_part), _part("text/html", html_part)]
        return AssembledMessage(data, headers, parts)


# Rendering once per issue ----------------------------------------------------------------------


def issue_email(issue) -> IssueEmail:
    """Render `issue` (an `newsletter.Issue`) for email: templates, CSS inlined, placeholders
    for the personal parts. Two queries (the issue's post and its sections)."""
    sections = list(issue.sections.order_by("order", "pk"))
    foreword_post = str(issue.foreword_post) if issue.foreword_post_id else ""
    archive_url = absolute(issue.get_absolute_url())
    context = {
        "issue": issue,
        "subject": issue.title,
        "foreword_post": foreword_post,
        "sections": sections,
        "archive_url": archive_url,
        "subscribe_url": absolute(reverse("mailing:subscribe")),
        "greeting": GREETING,
        "email": EMAIL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "preferences_url": PREFERENCES_URL,
    }
    body_html = _INLINER.inline(render_to_string("mailing/email/issue.html", context))
    text_context = {
        **context,
        "foreword_text": html_to_text(issue.foreword_html),
        "section_texts": [
            (section.heading, html_to_text(section.body_html)) for section in sections
        ],
    }
    text = render_to_string("mailing/email/issue.txt", text_context)
    return IssueEmail(issue_id=issue.pk, subject=issue.title, html=body_html, text=_tidy(text))


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


_BREAK = "\x0b"  # a <br>: a new line within the block


class _TextWriter(HTMLParser):
    """Sanitised issue HTML (paragraphs, lists, links, headings, quotes) as readable text."""

    BLOCKS = {"p", "h3", "h4", "blockquote", "ul", "ol", "hr", "li"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []  # (text, is a list item or continuation)
        self.current: list[str] = []
        self.prefix = ""
        self.lists: list[list] = []  # [kind, counter]
        self.href: str | None = None
        self.link_text: list[str] = []

    def _flush(self):
        lines = []
        indent = self.prefix
        for part in "".join(self.current).split(_BREAK):
            words = " ".join(part.split())
            if words:
                lines.append(
                    textwrap.fill(
                        words,
                        width=72,
                        initial_indent=indent,
                        subsequent_indent=" " * len(self.prefix),
                        break_long_words=False,
                        break_on_hyphens=False,
                    )
                )
                indent = " " * len(self.prefix)
        if lines:
            self.blocks.append(("\n".join(lines), bool(self.prefix)))
        self.current = []
        self.prefix = ""

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._flush()
        if tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li" and self.lists:
            self.lists[-1][1] += 1
            kind, number = self.lists[-1]
            indent = "  " * (len(self.lists) - 1)
            self.prefix = indent + (f"{number}. " if kind == "ol" else "- ")
        elif tag == "hr":
            self.blocks.append(("-" * 20, False))
        elif tag == "br":
            self.current.append(_BREAK)
        elif tag == "a":
            self.href = dict(attrs).get("href") or None
            self.link_text = []

    def handle_endtag(self, tag):
        if tag == "a":
            text = " ".join("".join(self.link_text).split())
            if self.href and self.href not in (text, f"mailto:{text}"):
                self.current.append(f" ({self.href})")
            self.href = None
        elif tag in self.BLOCKS:
            self._flush()
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()

    def handle_data(self, data):
        self.current.append(data)
        if self.href is not None:
            self.link_text.append(data)

    def text(self) -> str:
        self._flush()
        out: list[str] = []
        previous_item = False
        for text, item in self.blocks:
            if out:
                # The items of a list stay together; other blocks get a blank line between.
                out.append("\n" if item and previous_item else "\n\n")
            out.append(text)
            previous_item = item
        return "".join(out)


def html_to_text(fragment: str) -> str:
    writer = _TextWriter()
    writer.feed(fragment or "")
    writer.close()
    return writer.text()


# The double opt-in confirmation ----------------------------------------------------------------


def confirmation_message(*, subscriber, lists: list[str], name: str, organisation: str):
    token = tokens.confirm_token(subscriber_id=subscriber.pk, name=name, organisation=organisation)
    context = {
        "name": name,
        "lists": lists,
        "confirm_url": absolute(reverse("mailing:confirm", args=[token])),
        "days": tokens.confirm_max_age().days,
    }
    return EmailMultiAlternatives(
        subject="Confirm your subscription to " + ", ".join(lists),
        body=render_to_string("mailing/email/confirm.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
    )


@task()
def send_confirmation(subscriber_id: int, name: str, organisation: str) -> bool:
    """Email the confirmation link for the subscriber's pending subscriptions, if any."""
    from .models import Subscriber, Subscription

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    lists = list(
        subscriber.subscriptions.filter(status=Subscription.Status.PENDING)
        .order_by("mailing_list__name")
        .values_list("mailing_list__name", flat=True)
    )
    if not lists:
        return False
    confirmation_message(
        subscriber=subscriber, lists=lists, name=name, organisation=organisation
    ).send()
    return True
