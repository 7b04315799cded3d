"""The issue email: rendered once, personalised per subscriber without queries; the list
headers; a greeting that cannot inject HTML; Outlook-friendly HTML and a text part."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import resolve
from hypothesis import given
from hypothesis import strategies as st

from regionhub.mailing import emails, tokens, views

pytestmark = pytest.mark.django_db

SITE = "https://hub.example.org"


@pytest.fixture
def rendered(published_issue):
    with override_settings(SITE_URL=SITE):
        return emails.issue_email(published_issue)


def _message(rendered, **overrides):
    kwargs = {
        "subscriber_id": 41,
        "list_id": 7,
        "email": "reader@example.org",
        "name": "Ada Lovelace",
    }
    kwargs.update(overrides)
    with override_settings(SITE_URL=SITE):
        return emails.personalise(rendered, **kwargs)


def _html(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def test_headers_and_addresses(rendered, settings):
    message = _message(rendered)
    assert message.subject == "Regional Update – July 2024"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.to == ["reader@example.org"]
    header = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(SITE)}/mailing/unsubscribe/[^/>]+/>", header)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Id"] == "<list-7.hub.example.org>"
    # The MIME message builds and carries them too.
    mime = message.message()
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime["List-Unsubscribe"] == header


def test_unsubscribe_url_in_header_and_bodies_resolves_to_the_unsubscribe_view(rendered):
    message = _message(rendered)
    url = message.extra_headers["List-Unsubscribe"][1:-1]
    assert url in message.body
    assert url in _html(message)
    match = resolve(urlsplit(url).path)
    assert match.func is views.unsubscribe
    assert tokens.unsubscribe_ids(match.kwargs["token"]) == (41, 7)


def test_preferences_link_is_for_the_subscriber(rendered):
    message = _message(rendered)
    [url] = re.findall(rf"{re.escape(SITE)}/mailing/preferences/[^/\s]+/", message.body)
    match = resolve(urlsplit(url).path)
    assert match.func is views.preferences
    assert tokens.preferences_subscriber_id(match.kwargs["token"]) == 41


def test_each_subscriber_gets_their_own_links(rendered):
    first = _message(rendered, subscriber_id=1)
    second = _message(rendered, subscriber_id=2)
    assert first.extra_headers["List-Unsubscribe"] != second.extra_headers["List-Unsubscribe"]


def test_greeting_is_personal_and_escaped(rendered):
    message = _message(rendered, name="<script>alert('x')</script> Bob")
    html = _html(message)
    assert "<script>" not in html
    assert "Dear &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Bob," in html
    assert "Dear <script>alert('x')</script> Bob," in message.body


def test_neutral_greeting_without_a_name(rendered):
    message = _message(rendered, name="  ")
    assert "Dear colleague," in message.body
    assert "Dear colleague," in _html(message)
    assert "Dear ," not in message.body


def test_html_is_inlined_table_layout_without_style_or_script(rendered, published_issue):
    html = _html(_message(rendered))
    assert "<style" not in html.lower()
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert 'role="presentation"' in html
    assert "max-width: 600px" in html
    # The stylesheet's rules now sit on the elements: a paragraph of the foreword.
    assert re.search(r'<p style="[^"]*font-size: 16px', html)
    assert re.search(
        r'<a [^>]*href="https://example.org/plan"[^>]*style="[^"]*color: #1d70b8', html
    )
    # No placeholder left behind.
    assert "RH-MAIL-" not in html


def test_foreword_sections_and_archive_links(rendered, published_issue):
    message = _message(rendered)
    html = _html(message)
    archive = f"{SITE}/updates/2024/7/"
    for part in (html, message.body):
        assert "From Shropshire’s DCS" in part
        assert "Kind regards" in part
        assert "Tanya Miles" in part
        assert "DCS updates" in part
        assert "Karen Graham became DCS, Dudley" in part
        assert "Key events" in part
        assert archive in part
    assert f'<a href="{archive}"' in html
    assert "View this email in your browser" in html
    assert "Forward to a colleague" in html
    assert "Forward to a colleague" in message.body
    assert "RH-MAIL-" not in message.body


def test_section_script_is_sanitised_in_both_parts(rendered):
    message = _message(rendered)
    assert "alert(1)" not in _html(message)
    assert "<script" not in message.body


def test_text_alternative_is_readable(rendered):
    body = _message(rendered).body
    assert "- Karen Graham became DCS, Dudley" in body
    assert "the plan (https://example.org/plan)" in body
    assert "<p>" not in body and "&amp;" not in body
    assert max(len(line) for line in body.splitlines() if "http" not in line) <= 90


def test_personalise_makes_no_queries(rendered, django_assert_num_queries):
    with django_assert_num_queries(0):
        message = _message(rendered)
        message.message()


def test_html_to_text_handles_lists_links_and_breaks():
    text = emails.html_to_text(
        '<p>One<br>two <a href="https://x.example/">link</a></p><ol><li>first</li><li>second</li></ol>'
    )
    assert text == "One\ntwo link (https://x.example/)\n\n1. first\n2. second"


def _parsed(data: bytes):
    from email import policy
    from email.parser import BytesParser

    return BytesParser(policy=policy.default).parsebytes(data)


def test_assembled_mime_matches_what_django_would_send(rendered):
    message = _message(rendered, name="Zoë Ångström <b>")
    fast = message.message()
    assert isinstance(fast, emails.AssembledMessage)
    slow = super(emails.IssueMessage, message).message()
    ours, theirs = _parsed(fast.as_bytes(linesep="\r\n")), _parsed(slow.as_bytes())
    for header in ("Subject", "From", "To", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id"):
        assert str(ours[header]).strip() == str(theirs[header]).strip(), header
    assert ours["Subject"] == "Regional Update – July 2024"
    assert ours["Date"] and ours["Message-ID"]
    assert ours.get_content_type() == "multipart/alternative"
    text, html = ours.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content().replace("\r\n", "\n").rstrip("\n") == message.body.rstrip("\n")
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == _html(message).rstrip("\n")
    assert "Dear Zoë Ångström &lt;b&gt;," in html.get_content()
    # 7-bit clean, short lines: any SMTP server takes it.
    data = fast.as_bytes()
    assert data.isascii()
    assert max(len(line) for line in data.split(b"\n")) <= 998
    # The Message object reads like any other.
    assert fast["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in fast.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert "Dear Zo" in fast.get_payload()[0].get_payload(decode=True).decode()


def test_changed_messages_take_djangos_path(rendered):
    message = _message(rendered)
    message.attach("note.txt", "hello", "text/plain")
    assert not isinstance(message.message(), emails.AssembledMessage)
    message = _message(rendered, email="Zoë@example.org")
    assert not isinstance(message.message(), emails.AssembledMessage)
    message = _message(rendered)
    message.extra_headers["X-Campaign"] = "42"
    built = message.message()
    assert isinstance(built, emails.AssembledMessage)
    assert _parsed(built.as_bytes())["X-Campaign"] == "42"


def test_backends_accept_the_message(rendered, mailoutbox, tmp_path, settings):
    from django.core.mail import get_connection

    assert _message(rendered).send() == 1
    assert mailoutbox[-1].to == ["reader@example.org"]
    settings.EMAIL_FILE_PATH = tmp_path
    connection = get_connection("django.core.mail.backends.filebased.EmailBackend")
    assert _message(rendered, connection=connection).send() == 1
    [written] = tmp_path.iterdir()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in written.read_text()


def test_bodies_are_encoded_from_pieces_encoded_once(rendered):
    """The quoted-printable bodies are joined from the issue's pieces, encoded when it was
    rendered, and the subscriber's own values: they decode to exactly the filled-in bodies."""
    import quopri

    message = _message(rendered, name="Zoë = Ångström.", email="dot.first@example.org")
    parsed = _parsed(message.message().as_bytes(linesep="\r\n"))
    text_part, html_part = parsed.iter_parts()
    encoded_text = text_part.get_payload()
    # Joined from the pieces, not encoded whole again.
    assert encoded_text == message._encoded.text_qp
    assert rendered._text_encoded[0] in encoded_text
    assert quopri.decodestring(encoded_text.encode()).decode() == message.body.replace("\n", "\r\n")
    assert html_part.get_content().replace("\r\n", "\n").rstrip("\n") == _html(message).rstrip("\n")
    assert max(len(line) for line in encoded_text.split("\r\n")) <= 76


def test_a_body_changed_after_personalise_is_encoded_afresh(rendered):
    message = _message(rendered)
    message.body = "Something else entirely.\n"
    message.alternatives = [type(message.alternatives[0])("<p>Other</p>", "text/html")]
    text_part, html_part = _parsed(message.message().as_bytes()).iter_parts()
    assert text_part.get_content().strip() == "Something else entirely."
    assert html_part.get_content().strip() == "<p>Other</p>"


@given(st.lists(st.text(alphabet="ab .=\t\né€x", max_size=200), min_size=1, max_size=6))
def test_pieces_encoded_apart_decode_as_one(texts):
    import quopri

    encoded = "".join(emails._qp_piece(t) for t in texts[:-1]) + emails._qp(texts[-1])
    decoded = quopri.decodestring(encoded.encode()).decode()
    assert decoded == "".join(texts).replace("\n", "\r\n")
    # A soft break never makes a line longer than the encoder's own lines.
    longest = max(len(line) for t in texts for line in emails._qp(t).split("\r\n"))
    assert max(len(line) for line in encoded.split("\r\n")) <= max(longest, 76)
