"""Reading Regional Updates saved from the old website (plain text or HTML) into their parts.

Pure parsing: nothing here touches the database. `services.issue_import` stores the result.

What the saved pages look like: the website's chrome ("top of page", "Recent Posts", view and
comment counters, "bottom of page") around a title line ("Regional Update – June 2023"), an
optional author line ("From Shropshire's DCS."), the foreword ending in a sign-off ("Kind
regards") and a name, then sections, each under a short heading line ending in a colon ("DCS
updates:"). Some pages lost their title line when saved; their month comes from a date in the
text or from the person importing. "Key Events" is always the last section, and the colon
headings under it are its sub-headings, not new sections.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_FILE_BYTES = 2 * 1024 * 1024

MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january", "february", "march", "april", "may", "june",
            "july", "august", "september", "october", "november", "december",
        ],
        start=1,
    )
}  # fmt: skip
_MONTH = "(" + "|".join(m.capitalize() for m in MONTHS) + ")"
TITLE_RE = re.compile(rf"^Regional Update\s*[–—-]\s*{_MONTH}\s+(\d{{4}})\s*$", re.IGNORECASE)
DATE_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})\b")

CHROME_LINES = {"top of page", "bottom of page", "recent posts", "see all", "comments"}
COUNTER_RE = re.compile(
    r"^\d+\s*views?\s*(\d+\s*comments?)?$|^\d+\s*comments?$|^\d+\s*likes?$", re.IGNORECASE
)
SIGN_OFF_RE = re.compile(
    r"^(kind regards|best wishes|warm regards|best regards|many thanks|with thanks|"
    r"yours sincerely|regards|wishing you all the best)\b[^.]{0,20}$",
    re.IGNORECASE,
)
# Words that make a line ending in a colon a sentence ("Sessions will cover:") rather than a
# heading ("Ofsted:").
SENTENCE_WORDS = re.compile(
    r"\b(is|are|was|were|will|would|we|you|your|they|their|i|our|please|here|have|has|can|this|see)\b",
    re.IGNORECASE,
)
KEY_EVENTS_RE = re.compile(
    r"^(key events|upcoming (conferences and events|conferences|events))$", re.I
)
MAX_HEADING_WORDS = 16


class ImportFileError(Exception):
    """A file that cannot be read as a Regional Update; nothing of it is imported."""

    def __init__(self, message: str, *, needs_month: bool = False):
        super().__init__(message)
        self.message = message
        self.needs_month = needs_month


@dataclass
class ParsedSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class ParsedIssue:
    fingerprint: str
    title: str = ""
    month: datetime.date | None = None
    month_from: str = ""  # "title", "date in the text" or "given"
    author_line: str = ""
    foreword: list[str] = field(default_factory=list)
    sign_off: str = ""
    signature: str = ""
    sections: list[ParsedSection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# Decoding --------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("The file must be smaller than 2 MB.")
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("This is not a text or HTML file (it looks like a binary file).")
    for encoding in (
        ("utf-8-sig", "utf-16")
        if data.startswith((b"\xff\xfe", b"\xfe\xff"))
        else (
            "utf-8-sig",
            "cp1252",
        )
    ):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("The file's characters could not be read. Save it as UTF-8 text.")
    if sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\f") > 8:
        raise ImportFileError("This is not a text or HTML file (it looks like a binary file).")
    return text


class _TextFromHTML(HTMLParser):
    """Block elements become lines; scripts, styles and the page head are dropped."""

    BLOCKS = {
        "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
        "header", "footer", "blockquote", "ul", "ol", "title", "span_block",
    }  # fmt: skip
    SKIP = {"script", "style", "head", "noscript", "template", "svg"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        return "".join(self.parts)


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:2000].lower()
    return head.startswith(("<!doctype", "<html")) or bool(
        re.search(r"<(p|div|body|h[1-6]|br)\b", head)
    )


def html_to_text(text: str) -> str:
    parser = _TextFromHTML()
    parser.feed(text)
    parser.close()
    return parser.text()


# Parsing ---------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """The page's non-empty lines with the website's chrome removed."""
    lines = []
    for raw in text.splitlines():
        line = raw.replace("\u00a0", " ").strip()
        if not line or line.lower() in CHROME_LINES or COUNTER_RE.match(line):
            continue
        lines.append(re.sub(r"[ \t]+", " ", line))
    return lines


def _month(year: str, month_name: str) -> datetime.date:
    return datetime.date(int(year), MONTHS[month_name.lower()], 1)


def _heading(line: str) -> tuple[str, str] | None:
    """(heading, rest of the line) if the line opens a section, else None."""
    if KEY_EVENTS_RE.match(line.rstrip(":").strip()):
        return line.rstrip(":").strip(), ""
    head, colon, rest = line.partition(":")
    if not colon or not head[:1].isalpha() or not head[:1].isupper():
        return None
    head = head.strip()
    if len(head.split()) > MAX_HEADING_WORDS or SENTENCE_WORDS.search(head):
        return None
    if rest.strip() and len(head.split()) > 2 and head.endswith((".", ",")):
        return None
    return head, rest.strip()


def _is_author_line(line: str) -> bool:
    return len(line.split()) <= 15 and (line.startswith("From ") or line.endswith(":"))


def _is_signature(line: str) -> bool:
    words = line.split()
    return 1 <= len(words) <= 5 and all(w[:1].isupper() for w in words) and line[-1:] not in ".:"


def parse(data: bytes, *, month: datetime.date | None = None) -> ParsedIssue:
    """Parse a saved page. `month` (first of a month) overrides whatever the text says.

    Raises ImportFileError when the file is unreadable or has no month to go by.
    """
    text = decode(data)
    if looks_like_html(text):
        text = html_to_text(text)
    lines = _lines(text)
    if not lines:
        raise ImportFileError("The file has no text once the website's page furniture is removed.")
    issue = ParsedIssue(fingerprint=hashlib.sha256("\n".join(lines).encode()).hexdigest())

    title_index = next((i for i, line in enumerate(lines) if TITLE_RE.match(line)), None)
    if title_index is not None:
        found = TITLE_RE.match(lines[title_index])
        assert found
        issue.title = lines[title_index].replace(" - ", " – ")
        issue.month, issue.month_from = _month(found.group(2), found.group(1)), "title"
        body = lines[title_index + 1 :]
        if title_index:
            issue.notes.append(f"Left out {title_index} line(s) before the title.")
    else:
        body = lines
        date = DATE_RE.search("\n".join(lines))
        if date:
            issue.month = _month(date.group(3), date.group(2))
            issue.month_from = f"the first date in the text ({date.group(0)})"
    if month is not None:
        issue.month, issue.month_from = month, "given"
    if issue.month is None:
        raise ImportFileError(
            "The file has no title line and no date to tell its month: give the month.",
            needs_month=True,
        )
    if not issue.title or issue.month_from == "given":
        issue.title = f"Regional Update – {issue.month:%B %Y}"

    if body and _is_author_line(body[0]) and not _heading_if_section(body[0]):
        issue.author_line = body[0].rstrip(":").rstrip(".")
        body = body[1:]

    sign_off = next(
        (
            i
            for i, line in enumerate(body)
            if SIGN_OFF_RE.match(line) and i + 1 < len(body) and _is_signature(body[i + 1])
        ),
        None,
    )
    if sign_off is None:
        issue.notes.append(
            "No sign-off ('Kind regards', 'Best wishes' and a name) was found, so no foreword "
            "was recognised; the opening text is kept as the first section."
        )
        rest = body
    else:
        issue.foreword = body[:sign_off]
        issue.sign_off = body[sign_off].rstrip(",")
        issue.signature = body[sign_off + 1]
        rest = body[sign_off + 2 :]

    _split_sections(issue, rest)
    return issue


def _heading_if_section(line: str) -> bool:
    """An author line such as 'Ofsted:' would be a section heading; tell the two apart by the
    author line's usual words."""
    return not (line.startswith("From ") or "message" in line.lower() or "DCS" in line)


def _split_sections(issue: ParsedIssue, lines: list[str]) -> None:
    current: ParsedSection | None = None
    in_key_events = False
    for line in lines:
        found = _heading(line)
        if found and not in_key_events:
            heading, rest = found
            current = ParsedSection(heading=heading)
            issue.sections.append(current)
            in_key_events = bool(KEY_EVENTS_RE.match(heading))
            if rest:
                current.paragraphs.append(rest)
            continue
        if current is None:
            current = ParsedSection(heading="")
            issue.sections.append(current)
            issue.notes.append(
                "Text after the foreword and before the first heading is kept in a section "
                "without a heading."
            )
        if found and in_key_events:
            heading, rest = found
            current.paragraphs.append(f"### {_escape(heading)}")
            if rest:
                current.paragraphs.append(_escape(rest))
        else:
            current.paragraphs.append(_escape(line))


def _escape(line: str) -> str:
    """Imported text is plain text: keep Markdown from reading a leading '#', '>' or '1.' as
    formatting."""
    if re.match(r"^(#|>|\d+\.\s|[-*+]\s)", line):
        return "\\" + line
    return line


def month_of(value: str) -> datetime.date | None:
    """'2024-07' or 'July 2024' as the first of that month; None if unreadable."""
    value = value.strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if found and 1 <= int(found.group(2)) <= 12:
        return datetime.date(int(found.group(1)), int(found.group(2)), 1)
    found = re.fullmatch(rf"{_MONTH}\s+(\d{{4}})", value, re.IGNORECASE)
    if found:
        return _month(found.group(2), found.group(1))
    return None
