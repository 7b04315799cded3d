"""The issue email: rendered once, personalised per subscriber without queries; the list
headers; a greeting that cannot inject HTML; Outlook-friendly HTML and a text part."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import resolve

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
