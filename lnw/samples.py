"""Deterministic generator of realistic LinkedIn exports, with the answers they should give.

`lnw demo` writes its demo inbox with this module, the tests use the returned truths as known
answers, and the benchmarks use it for large exports.

The files follow the byte-level facts in `linkedin-formats.md` (sections 1-4 and 10): the
three-line `Notes:` preamble and no final newline in `Connections.csv`, percent-encoded
(upper-case hex) non-ASCII slugs there but raw Unicode in `Invitations.csv` and `messages.csv`,
blank-person rows, `"M/D/YY, h:mm AM"` invitation dates, RFC 4180 newlines inside message
content, sponsored and draft messages, group conversations, and follower lists from third-party
tools with every URL form a normaliser must survive.

Determinism: one `random.Random(seed)` per account, no clock, no iteration over sets (their
order changes between interpreter runs), zip entry times and file modification times pinned to
the snapshot date at noon UTC. The same arguments give byte-identical files.

The people evolve between snapshots: connections are removed and added (some of them earlier
invitees who accepted), connections unfollow, followers come and go, people change jobs.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gc
import io
import os
import random
import re
import shutil
import unicodedata
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from importlib import resources
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = [
    "FORMAT_YEARS",
    "PersonTruth",
    "SnapshotTruth",
    "write_account_exports",
    "write_demo_inbox",
    "write_sample_icp",
]


@dataclass(frozen=True, slots=True)
class PersonTruth:
    key: str  # canonical person key: lower-case, percent-decoded, NFC slug
    full_name: str  # "First Last" as written, trimmed
    company: str | None  # as in Connections.csv (connections only)
    position: str | None  # job title as in Connections.csv (connections only)
    headline: str | None  # as in the follower list (listed followers only)


@dataclass
class SnapshotTruth:
    account: str
    snapshot_date: dt.date
    self_key: str  # the member's own slug key
    connections: dict[str, dt.date]  # identified connections: key -> Connected On
    unidentified_connections: int  # blank-person rows written in Connections.csv
    followers: set[str] | None  # keys in the follower list (None: no list for this snapshot)
    pending_outbound: set[str]  # OUTGOING invitees in Invitations.csv that are not connections
    pending_inbound: set[str]  # INCOMING inviters in Invitations.csv that are not connections
    # Connections that, in (snapshot_date - 90 days, snapshot_date], sent the member a non-draft,
    # non-sponsored message, or were in RECIPIENT PROFILE URLS of a non-draft message the member
    # sent. Bystanders who only received other people's group messages do not count.
    active_90d: set[str]
    # Every person key of this snapshot's connections, follower list and invitations (the member
    # excluded). People seen only in messages.csv are not in it.
    people: dict[str, PersonTruth]
    files: list[Path]  # the inbox items written: the zip or extracted folder, the follower list


# --------------------------------------------------------------------------------------------
# Formats (linkedin-formats.md sections 2-4 and 10)

_NOTES_SENTENCE = (
    "When exporting your connection data, you may notice that some of the email addresses are "
    "missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    "https://www.linkedin.com/help/linkedin/answer/261"
)
_CONNECTIONS_PREAMBLE = f'Notes:\n"{_NOTES_SENTENCE}"\n\n'
# Header lines exactly as the files carry them.
_CONNECTIONS_HEADER_LINE = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
_INVITATIONS_HEADER_LINE = "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl"
_MESSAGES_HEADER_LINE = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,"
    "SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT"
)
_PROFILE_HEADER_LINE = (
    "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,Zip Code,"
    "Geo Location,Twitter Handles,Websites,Instant Messengers"
)
_CONNECTIONS_HEADER = tuple(_CONNECTIONS_HEADER_LINE.split(","))
_INVITATIONS_HEADER = tuple(_INVITATIONS_HEADER_LINE.split(","))
_MESSAGES_HEADER = tuple(_MESSAGES_HEADER_LINE.split(","))
_PROFILE_HEADER = tuple(_PROFILE_HEADER_LINE.split(","))
_PHANTOM_HEADER = ("profileUrl", "firstName", "lastName", "occupation", "followedAt")
_SIMPLE_HEADER = ("Profile URL", "Full Name", "Headline")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PROFILE_PREFIX = "https://www.linkedin.com/in/"
_COUNTRY_HOSTS = ("de", "uk", "fr", "es", "br", "in", "se", "nl")

# Invitations.csv keeps roughly the last ten months (observed 9.5 and 11 months).
INVITATION_WINDOW_DAYS = 300
# messages.csv of the first snapshot reaches back about a year.
MESSAGE_HISTORY_DAYS = 365
ACTIVE_WINDOW_DAYS = 90

DEMO_LAST_SNAPSHOT = dt.date(2026, 11, 20)
FORMAT_YEARS = tuple(range(2018, 2027))

# Shares taken from the real exports (linkedin-formats.md 2.1, 3.1) or chosen for a creator.
_BLANK_PERSON_SHARE = 0.012
_EMAIL_SHARE = 0.04
_MUTUAL_SHARE = 0.85  # connections who also follow
_TRAILING_SPACE_SHARE = 0.06

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_DAY = 86_400


def _day_number(day: dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _day_start(day: dt.date) -> int:
    return _day_number(day) * _DAY


def _date_of(day_number: int) -> dt.date:
    return dt.date.fromordinal(day_number + _EPOCH_ORDINAL)


def _connected_on(day: dt.date) -> str:
    # Never strftime("%b"): it follows the process locale; LinkedIn writes English months.
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def _sent_at(moment: dt.datetime) -> str:
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year % 100:02d}, {hour}:{moment.minute:02d} {half}"


def _noon_utc(day: dt.date) -> int:
    return _day_start(day) + 12 * 3600


def _pacific_to_utc(moment: dt.datetime) -> int:
    """Epoch seconds of a naive invitation time, taken as US Pacific (about UTC-8)."""
    return int((moment - dt.datetime(1970, 1, 1)).total_seconds()) + 8 * 3600


def _shift(ts: int, forbidden: Collection[int]) -> int:
    """Move a message time back by whole days until it is off the forbidden days."""
    while ts // _DAY in forbidden:
        ts -= _DAY
    return ts


# --------------------------------------------------------------------------------------------
# Invented names, companies and titles

# (weight, first names, last names, share of slugs their owners folded to ASCII). About one
# slug in ten ends up non-ASCII (907 of 10,780 in the 2026 export, linkedin-formats.md 2.1).
_CULTURES: tuple[tuple[int, tuple[str, ...], tuple[str, ...], float], ...] = tuple(
    (weight, tuple(firsts.split()), tuple(lasts.split()), fold)
    for weight, firsts, lasts, fold in (
        (
            34,
            "James Emily Michael Sarah David Laura Daniel Olivia Ken Grace Ryan Megan Chris "
            "Hannah Alex Rachel Tom Jessica Kate",
            "Smith Johnson Brown Taylor Wilson Clarke Walker Hughes Reed Bennett Foster Murphy "
            "O'Brien Campbell Price Fisher Ward Doyle",
            0.0,
        ),
        (
            12,
            "Linnéa Björn Åsa Jonas Sofia Måns Ingrid Erik Sigrid Øystein",
            "Ström Lind Öberg Nyström Lund Sjögren Karlsson Åkesson Hægland",
            0.8,
        ),
        (
            12,
            "François Hélène Zoé Mathieu Camille Jérôme Léa Amélie Théo",
            "Dupont Lefèvre Moreau Giraud Bérenger Rousseau Mercier Gérard",
            0.8,
        ),
        (
            12,
            "José María Ana João Inês Sebastián Lucía Iramy Tomás Andrés",
            "Jiménez Pereira García Muñoz Silva Conceição Núñez Ramírez",
            0.8,
        ),
        (
            10,
            "Jürgen Anna Lukas Mia Greta Felix Lena Maximilian Jana",
            "Müller Schäfer Weiß Becker Hoffmann Krüger Wagner Köhler Fuchs",
            0.8,
        ),
        (
            14,
            "Priya Arjun Yuki Wei Tasnim Aisha Omar Haruto Mei Rohan",
            "Sharma Ito Chen Nguyen Masrur Rahman Khan Tanaka Patel Kim",
            0.0,
        ),
        (1, "Иван Ольга Дмитрий Анна", "Петров Смирнова Иванов Соколова", 0.0),
        (1, "Νίκος Ελένη", "Παπαδόπουλος Γεωργίου", 0.0),
        (1, "عمر ليلى", "حداد خليل", 0.0),
        (1, "太郎 花子", "山田 佐藤", 0.0),
    )
)
# Real exports have quoted commas, post-nominals and emoji in last names.
_ODD_LAST_NAMES = ("Kreuzer, PhD", "Lund, PMP, CSM", "Piguet🎗️", "Okafor 🚀", "Martin, MBA")
# Mathematical alphanumerics as display names; their owners' slugs are plain ASCII.
_STYLED_FIRST_NAMES = ("𝓩𝓪𝓻𝓪", "𝐌𝐚𝐫𝐤")  # noqa: RUF001
_SLUG_WORDS = ("hr", "mba", "phd", "cfa", "dev", "ux", "pm")

_NAMED_COMPANIES = (
    "Acme, Inc.",
    "Example Corp",
    "Exempel AB",
    "Nordwind GmbH",
    "Globex Corporation",
    "Initech",
    "Hooli",
    "Vandelay Industries",
    "Soylent, Ltd.",
    'Studio "Lumen"',
    "Café Ñandú S.L.",
    "Stark & Wayne LLP",
    "北辰科技",
    "Rocket 🚀 Ventures",
    "Self-employed",
    "Freelance",
    "Blue Fjord Analytics",
    "Umbrella Labs",
)
_COMPANY_STEMS = (
    "Nordic", "Bright", "Iron", "Silver", "Quantum", "Cedar", "Atlas", "Nova", "Harbor", "Summit",
    "Pixel", "Cloud", "Green", "Vertex", "Orbit", "Delta", "Kite", "Maple", "Fjord", "Sol",
    "Terra", "Polar", "Arc", "Echo", "Granite", "Willow", "Copper", "Signal", "Lynx", "Otter",
)  # fmt: skip
_COMPANY_KINDS = (
    "Labs", "Analytics", "Systems", "Software", "Capital", "Health", "Robotics", "Data",
    "Studio", "Logistics", "Energy", "Partners", "AI", "Payments", "Security", "Media",
)  # fmt: skip
_COMPANY_SUFFIXES = ("", "", "", " GmbH", " AB", ", Inc.", " Ltd", " SAS", " B.V.", " S.L.")
_SCHOOLS = ("TU Berlin", "Lund University", "University of Example", "Sciences Po", "ESADE")

# Title mix: about a quarter match the sample ICP (founder, ceo, head of sales, vp sales, cto,
# head of growth; excluding student, intern, recruiter).
_TITLES: tuple[tuple[str, int], ...] = (
    ("Founder", 4),
    ("Co-Founder & CEO", 3),
    ("CEO", 3),
    ("Head of Sales", 3),
    ("VP Sales", 2),
    ("CTO", 3),
    ("Head of Growth", 2),
    ("Founder, Advisor", 1),
    ("VP Sales, EMEA", 1),
    ("Co-founder & CTO", 1),
    ("Chief Executive Officer (CEO)", 1),
    ("Software Engineer", 8),
    ("Senior Software Engineer", 5),
    ("Data Analyst", 4),
    ("Product Manager", 5),
    ("Director, Sales", 3),
    ("Account Executive", 5),
    ("Marketing Manager", 4),
    ("HR Partner", 2),
    ("Consultant", 4),
    ("Technical Recruiter", 3),
    ("Student", 2),
    ("Marketing Intern", 1),
    ("Project Manager", 3),
    ("UX Designer", 3),
    ("Customer Success Manager", 3),
    ("Sales Development Representative", 3),
    ("Engineering Manager", 3),
    ("Founder | Recruiter", 1),
    ("Solutions Architect", 2),
    ('Lead "Growth" Analyst', 1),
    ("Talent Partner", 1),
    ("Operations Lead 🌱", 1),
    ("Lecturer", 1),
    ("Head of People", 1),
    ("Head of Marketing", 2),
    ("Chief Operating Officer", 1),
)
_TITLE_NAMES = tuple(title for title, _ in _TITLES)
_TITLE_CUM = tuple(accumulate(weight for _, weight in _TITLES))
_STUDY_TITLES = frozenset({"Student", "Marketing Intern", "Lecturer"})
_TAGLINES = (
    "Helping B2B teams grow",
    "Building in public 🚀",
    "Speaker, author, coffee lover",
    "Ex-Hooli",
    "Open to new opportunities",
    "Data | AI | Cloud",
)

_OUTGOING_NOTES = (
    "Hi {first}, saw your post and wanted to connect. ",
    "Hi {first},  great meeting you at the summit.   Best, {me}",
    "Hello {first}! We both work on B2B growth, would love to connect.",
    'Hi {first}, I enjoyed your talk "Pricing in 2026". Let\'s connect!',
    "Hi {first}, fellow alumna here. More about me: https://example.com/about",
)
_INCOMING_NOTES = (
    "Hi {me}, I follow your posts on sales, would love to connect.",
    "Hello {me}, we met at the meetup last week.",
    "Hi {me},  I run a small agency.   Open to a chat?",
)
_MESSAGE_BODIES = (
    "Hi {first}, thanks for connecting!",
    "Sure, let's continue.",
    "Thanks {first}! Talk soon.",
    "Hi {first},\n\nGreat to meet you at the summit. Would you be open to a quick call next "
    "week?\n\nBest,\n{me}",
    "Sounds good, Tuesday at 10 works for me.",
    'Have you seen the "State of B2B" report? Worth a read.',
    "Could you send me the deck, please?",
    "Congrats on the new role, {first}!",
    "Happy to help. Here's the link: https://example.com/guide",
    "Let me check with the team and get back to you.",
    "Great post today, {first}. The part about pricing, churn and onboarding was spot on.",
    "Thanks for the intro!\nI'll reach out to them directly.",
    "👍",
    "",  # attachment-only or deleted message
    "Hi {first} - quick question about your hiring plans: do you have 5 minutes?",
    "Looking forward to it.",
)
_INMAIL_TITLES = ("Quick question", "Partnership opportunity", "Role at Acme, Inc.", "Intro")
_GROUP_TITLES = ("", "Q4 planning, EMEA", "Founders dinner 🍝", "")


# --------------------------------------------------------------------------------------------
# People


class _Person:
    """A mutable invented member; `version` changes whenever their job does."""

    __slots__ = (
        "company",
        "email",
        "first",
        "followed_at",
        "full_name",
        "headline",
        "key",
        "last",
        "position",
        "truth",
        "truth_signature",
        "version",
    )

    def __init__(self, key: str, first: str, last: str, full_name: str = "") -> None:
        self.key = key
        self.first = first  # as written in Connections.csv (may carry a trailing space)
        self.last = last
        self.full_name = full_name or f"{first.strip()} {last.strip()}"
        self.company: str | None = None
        self.position: str | None = None
        self.headline: str | None = None
        self.email = ""
        self.followed_at = 0  # epoch seconds, while following the member
        self.version = 0
        self.truth: PersonTruth | None = None
        self.truth_signature = -1

    @property
    def url(self) -> str:
        """Raw Unicode profile URL, as in Invitations.csv and messages.csv."""
        return _PROFILE_PREFIX + self.key

    @property
    def short_name(self) -> str:
        return self.first.strip()

    def truth_at(self, is_connection: bool, is_listed_follower: bool) -> PersonTruth:
        # One cached truth per person: unchanged people share it across snapshots.
        signature = self.version * 4 + is_connection * 2 + is_listed_follower
        if signature == self.truth_signature and self.truth is not None:
            return self.truth
        truth = PersonTruth(
            key=self.key,
            full_name=self.full_name,
            company=self.company if is_connection else None,
            position=self.position if is_connection else None,
            headline=self.headline if is_listed_follower else None,
        )
        self.truth, self.truth_signature = truth, signature
        return truth


_WORD = re.compile(r"[^\W_]+")


def _slug_base(first: str, last: str, fold: bool) -> str:
    text = f"{first} {last}"
    if fold:
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    # casefold, not lower: "weiß" becomes "weiss", so a key is the same whether a reader
    # lower-cases or case-folds it.
    words = _WORD.findall(text.casefold())
    return unicodedata.normalize("NFC", "-".join(words)) or "member"


class _People:
    """Makes invented people with unique slugs, all from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.by_key: dict[str, _Person] = {}
        self._bases: dict[tuple[str, str, bool], str] = {}
        # Shared strings: a million people repeat a few thousand names, companies, headlines.
        self._names: dict[tuple[str, str], str] = {}
        self._companies: dict[tuple[int, int, int], str] = {}
        self._headlines: dict[tuple[str, str, int], str] = {}
        self._culture_cum = tuple(accumulate(c[0] for c in _CULTURES))
        self._culture_rows = tuple(range(len(_CULTURES)))

    def _unique(self, wanted: str, base: str) -> str:
        key = wanted
        while key in self.by_key:
            key = f"{base}-{self.rng.getrandbits(32):08x}"
        return key

    def named(self, first: str, last: str, *, slug: str | None = None, job: bool = True) -> _Person:
        base = _slug_base(first, last, fold=False)
        wanted = slug if slug is not None else f"{base}-{self.rng.getrandbits(32):08x}"
        person = _Person(self._unique(wanted, base), first, last)
        if job:
            self.give_job(person)
        self.by_key[person.key] = person
        return person

    def many(self, count: int) -> list[_Person]:
        rng = self.rng
        random_ = rng.random
        bits = rng.getrandbits
        cultures = rng.choices(self._culture_rows, cum_weights=self._culture_cum, k=count)
        titles = rng.choices(_TITLE_NAMES, cum_weights=_TITLE_CUM, k=count)
        people: list[_Person] = []
        by_key = self.by_key
        bases = self._bases
        names = self._names
        for culture, title in zip(cultures, titles, strict=True):
            _, firsts, lasts, fold_share = _CULTURES[culture]
            draw = bits(64)
            first = firsts[draw % len(firsts)]
            last = lasts[(draw >> 8) % len(lasts)]
            hex_suffix = f"{draw >> 32:08x}"
            quirk = (draw >> 16) & 0xFFFF  # 0..65535: shares in 1/65536
            fold = fold_share > 0.0 and random_() < fold_share
            if quirk < 650:  # ~1%
                last = _ODD_LAST_NAMES[quirk % len(_ODD_LAST_NAMES)]
            elif quirk < 850:  # ~0.3%
                first = _STYLED_FIRST_NAMES[quirk % len(_STYLED_FIRST_NAMES)]
                fold = True
            base_key = (first, last, fold)
            base = bases.get(base_key)
            if base is None:
                base = bases[base_key] = _slug_base(first, last, fold)
            variant = random_()
            if variant < 0.007:
                wanted = f"{base}-"  # real slugs keep a trailing hyphen
            elif variant < 0.03:
                wanted = f"{base}-{_SLUG_WORDS[int(variant * 10_000) % len(_SLUG_WORDS)]}"
            elif variant < 0.05:
                wanted = f"{base.replace('-', '')}{int(variant * 10_000) % 97}"
            else:
                wanted = f"{base}-{hex_suffix}"
            key = wanted if wanted not in by_key else self._unique(wanted, base)
            spaces = random_()
            if spaces < _TRAILING_SPACE_SHARE:
                first = first + " "
                if spaces < _TRAILING_SPACE_SHARE / 2:
                    last = last + " "
            full_name = names.get((first, last))
            if full_name is None:
                full_name = names[first, last] = f"{first.strip()} {last.strip()}"
            person = _Person(key, first, last, full_name)
            self._set_job(person, title, bits(64))
            if random_() < _EMAIL_SHARE:
                person.email = _email_for(base, hex_suffix, draw)
            by_key[key] = person
            people.append(person)
        return people

    def give_job(self, person: _Person) -> None:
        title = self.rng.choices(_TITLE_NAMES, cum_weights=_TITLE_CUM)[0]
        self._set_job(person, title, self.rng.getrandbits(64))
        person.version += 1

    def _set_job(self, person: _Person, title: str, draw: int) -> None:
        """Company, position and headline from 64 random bits (cheap for a million people)."""
        if title in _STUDY_TITLES:
            company: str | None = _SCHOOLS[draw % len(_SCHOOLS)]
        elif draw & 0x3FF < 307:  # 30%
            company = _NAMED_COMPANIES[(draw >> 10) % len(_NAMED_COMPANIES)]
        else:
            parts = ((draw >> 10) & 0x1F, (draw >> 15) & 0xF, (draw >> 19) & 0xF)
            company = self._companies.get(parts)
            if company is None:
                stem = _COMPANY_STEMS[parts[0] % len(_COMPANY_STEMS)]
                kind = _COMPANY_KINDS[parts[1] % len(_COMPANY_KINDS)]
                suffix = _COMPANY_SUFFIXES[parts[2] % len(_COMPANY_SUFFIXES)]
                company = self._companies[parts] = f"{stem} {kind}{suffix}"
        position: str | None = title
        empty = (draw >> 23) & 0xFFFF
        if empty < 98:  # 0.15%: a few named rows have neither company nor position
            company = position = None
        elif empty < 262:  # 0.4%
            company = None
        person.company = company
        person.position = position
        roll = (draw >> 39) & 0xFFFF
        if position is None or roll < 3_300:  # 5%: no headline
            person.headline = None
        elif company is None or roll < 10_000:
            person.headline = position
        else:
            if roll < 42_600 or position in _STUDY_TITLES:
                form = 0
            elif roll < 53_700:
                form = 1
            else:
                form = 2 + (draw >> 55) % len(_TAGLINES)
            headline = self._headlines.get((position, company, form))
            if headline is None:
                headline = self._headlines[position, company, form] = _headline(
                    position, company, form
                )
            person.headline = headline


def _headline(position: str, company: str, form: int) -> str:
    if form == 0:
        return f"{position} at {company}"
    if form == 1:
        return f"{position} | {company}"
    return f"{position} @ {company} | {_TAGLINES[form - 2]}"


def _email_for(base: str, hex_suffix: str, draw: int) -> str:
    local = base.replace("-", ".") if base.isascii() else f"member.{hex_suffix}"
    domain = ("example.com", "example.org", "example.net")[(draw >> 40) % 3]
    return f"{local}@{domain}"


def _encoded_url(key: str) -> str:
    """The URL as Connections.csv writes it: non-ASCII percent-encoded, upper-case hex."""
    if key.isascii():
        return _PROFILE_PREFIX + key
    return _PROFILE_PREFIX + quote(key, safe="-")


# --------------------------------------------------------------------------------------------
# The account model


@dataclass(slots=True)
class _Invitation:
    outgoing: bool
    person: _Person
    sent_at: dt.datetime  # naive wall clock (probably US Pacific, linkedin-formats.md 3.1)
    note: str
    connect_on: dt.date | None  # when it is accepted (None: never)


@dataclass(slots=True)
class _Message:
    ts: int  # seconds since 1970, UTC
    sender: _Person | None  # None: sponsored or LinkedIn promotion
    recipients: tuple[_Person, ...]
    content: str
    draft: bool = False


@dataclass(slots=True)
class _Conversation:
    conversation_id: str
    title: str
    folder: str
    messages: list[_Message]
    system_sender: str = ""  # "LinkedIn Member" (sponsored) or a Premium promotion's sender
    conversation_draft: bool = False

    @property
    def sponsored(self) -> bool:
        return bool(self.system_sender)


@dataclass(slots=True)
class _Featured:
    """People placed on purpose so that every export shows the quirks the tests rely on."""

    unicode_connection: _Person  # françois-dupont-…: encoded in Connections, raw elsewhere
    draft_only: _Person  # a connection whose only message is the member's draft
    group_sender: _Person  # writes in a group conversation within every snapshot's window
    bystanders: tuple[_Person, _Person]  # only receive the group sender's messages
    group_reader: _Person  # receives the member's group messages
    group_replier: _Person
    trailing: _Person  # "Sam " "Lee ", slug sam-lee-, no company or position
    emoji: _Person  # emoji in the last name

    def all(self) -> tuple[_Person, ...]:
        return (
            self.unicode_connection,
            self.draft_only,
            self.group_sender,
            *self.bystanders,
            self.group_reader,
            self.group_replier,
            self.trailing,
            self.emoji,
        )


@dataclass(slots=True)
class _SnapshotState:
    connections: dict[str, dt.date]
    connections_csv: bytes
    invitations_csv: bytes
    blank_rows: int
    followers: set[str] | None
    pending_outbound: set[str]
    pending_inbound: set[str]
    people: dict[str, PersonTruth]
    follower_list: Path | None


class _AccountExports:
    def __init__(
        self,
        inbox: Path,
        account: str,
        snapshot_dates: Sequence[dt.date],
        *,
        n_connections: int,
        n_followers: int,
        n_messages: int,
        seed: int,
        churn: float,
        extracted_folder_for: Collection[dt.date],
        follower_list_for: Collection[dt.date] | None,
        follower_list_style: str,
        format_year: int | None = None,
        archive_for: Collection[dt.date] | None = None,
    ) -> None:
        self.folder = inbox / account
        self.format_year = format_year
        self.account = account
        self.dates = list(snapshot_dates)
        self.n_connections = n_connections
        self.n_followers = n_followers
        self.n_messages = n_messages
        self.churn = churn
        self.extracted = set(extracted_folder_for)
        self.listed = set(self.dates) if follower_list_for is None else set(follower_list_for)
        self.archived = set(self.dates) if archive_for is None else set(archive_for)
        self.style = follower_list_style
        self.rng = random.Random(seed)
        self.people = _People(self.rng)

        # Invitations per day: about a quarter of the network invited per invitation window.
        # Most connections follow; fewer when fewer followers were asked for.
        self.mutual_share = min(_MUTUAL_SHARE, n_followers / n_connections)
        self.out_rate = max(0.25 * n_connections / INVITATION_WINDOW_DAYS, 0.05)
        self.in_rate = self.out_rate * 0.12

        self.connections: dict[str, dt.date] = {}
        self.blank_rows: list[dt.date] = []
        self.followers: dict[str, _Person] = {}  # in follow order (see _Person.followed_at)
        self.invitations: list[_Invitation] = []
        self.invited: set[str] = set()
        self.awaiting: list[_Invitation] = []  # accepted some day, not yet a connection
        self.follow_events: list[tuple[int, _Person]] = []
        self.ever_connected: dict[str, dt.date] = {}
        self.follower_pool: list[_Person] = []

        self.me = self._make_member()
        self.featured = self._make_featured()
        self.protected = {self.me.key, *(p.key for p in self.featured.all())}
        # The Unicode connection accepted an invitation (with a note) two months before the
        # first snapshot; the note reappears in messages.csv.
        francois = self.featured.unicode_connection
        sent = dt.datetime.combine(self.dates[0] - dt.timedelta(days=60), dt.time(9, 15))
        note = f"Hi {francois.short_name}, saw your post and wanted to connect. "
        accepted = sent.date() + dt.timedelta(days=1)
        self.note_invitation = _Invitation(True, francois, sent, note, accepted)

    # ---- people -----------------------------------------------------------------------------

    def _make_member(self) -> _Person:
        first, last = self.rng.choice(
            (("Maria", "Silva"), ("Jonas", "Lind"), ("Ana", "Pereira"), ("Eva", "Lund"))
        )
        me = self.people.named(first, last)
        me.position, me.company = "Founder & CEO", "Nordwind GmbH"
        return me

    def _make_featured(self) -> _Featured:
        named = self.people.named
        hexes = self.rng.getrandbits
        trailing = named("Sam ", "Lee ", slug="sam-lee-", job=False)
        return _Featured(
            unicode_connection=named("François", "Dupont", slug=f"françois-dupont-{hexes(32):08x}"),
            draft_only=named("Grace", "Walker"),
            group_sender=named("Lukas", "Weber"),
            bystanders=(named("Anna", "Kreuzer, PhD"), named("Ольга", "Смирнова")),
            group_reader=named("Priya", "Sharma"),
            group_replier=named("Tom", "Hughes"),
            trailing=trailing,
            emoji=named("David", "Piguet🎗️"),
        )

    def _fresh(self, count: int) -> list[_Person]:
        return self.people.many(count)

    # ---- random helpers ---------------------------------------------------------------------

    def _round(self, expected: float) -> int:
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def _old_date(self, before: dt.date, years: float = 12.0, skew: float = 1.7) -> dt.date:
        span = int(365 * years)
        return before - dt.timedelta(days=int(span * self.rng.random() ** skew))

    def _day_in(self, start: dt.date, end: dt.date) -> dt.date:
        """A day in (start, end]."""
        return start + dt.timedelta(days=self.rng.randint(1, max(1, (end - start).days)))

    def _time_of_day(self) -> int:
        return self.rng.randrange(_DAY)

    # ---- evolution --------------------------------------------------------------------------

    def _invite_between(self, start: dt.date, end: dt.date) -> None:
        """Invitations sent in (start, end), with their fate (accepted when, or never).

        None on the snapshot day itself: an export is made during that day, and a late
        Pacific-time invitation would already be the next day in UTC.
        """
        rng = self.rng
        days = (end - start).days
        directions = [True] * self._round(self.out_rate * days)
        directions += [False] * self._round(self.in_rate * days)
        last = max(1, days - 1)
        moments = sorted(
            dt.datetime.combine(start + dt.timedelta(days=rng.randint(1, last)), dt.time())
            + dt.timedelta(minutes=rng.randrange(6 * 60, 23 * 60))
            for _ in directions
        )
        rng.shuffle(directions)
        for sent_at, outgoing in zip(moments, directions, strict=True):
            person = self._invitable()
            fate = rng.random()
            connect_on: dt.date | None = None
            if outgoing:
                if fate < 0.55:  # most accept within a day or two (median lag ~1 day)
                    connect_on = sent_at.date() + dt.timedelta(days=rng.choice((0, 1, 1, 1, 2, 3)))
                elif fate < 0.70:
                    connect_on = sent_at.date() + dt.timedelta(days=rng.randint(4, 60))
                notes, share = _OUTGOING_NOTES, 0.08
            else:
                if fate < 0.6:
                    connect_on = sent_at.date() + dt.timedelta(days=rng.randint(0, 10))
                if rng.random() < 0.5 and person.key not in self.followers:
                    # Creators: whoever invites you follows you (linkedin-formats.md 11).
                    self.follow_events.append((_pacific_to_utc(sent_at), person))
                notes, share = _INCOMING_NOTES, 0.25
            note = ""
            if rng.random() < share:
                note = rng.choice(notes).format(first=person.short_name, me=self.me.short_name)
            self._add_invitation(_Invitation(outgoing, person, sent_at, note, connect_on))

    def _add_invitation(self, invitation: _Invitation) -> None:
        self.invitations.append(invitation)
        self.invited.add(invitation.person.key)
        if invitation.connect_on is not None:
            self.awaiting.append(invitation)

    def _invitable(self) -> _Person:
        rng = self.rng
        pool = self.follower_pool
        if pool and rng.random() < 0.15:
            for _ in range(4):
                person = pool[rng.randrange(len(pool))]
                key = person.key
                if key not in self.connections and key not in self.invited:
                    return person
        return self._fresh(1)[0]

    def _accept_until(self, day: dt.date) -> list[str]:
        accepted, still = [], []
        for invitation in self.awaiting:
            assert invitation.connect_on is not None
            if invitation.connect_on <= day:
                key = invitation.person.key
                self.connections[key] = invitation.connect_on
                self.ever_connected.setdefault(key, invitation.connect_on)
                accepted.append(key)
            else:
                still.append(invitation)
        self.awaiting = still
        return accepted

    def _follow_when_connecting(self, keys: Iterable[str]) -> None:
        rng = self.rng
        for key in keys:
            if key not in self.followers and rng.random() < self.mutual_share:
                ts = _day_start(self.connections[key]) + self._time_of_day()
                self.follow_events.append((ts, self.people.by_key[key]))

    def _flush_follow_events(self, until: int) -> None:
        """Apply the follows collected so far in time order, none later than `until`."""
        events = [(min(ts, until), person) for ts, person in self.follow_events]
        events.sort(key=itemgetter(0))  # int keys sort fast; ties keep their (seeded) order
        followers = self.followers
        for ts, person in events:
            if person.key not in followers:
                person.followed_at = ts
                followers[person.key] = person
        self.follow_events = []

    def _start(self, first: dt.date) -> None:
        rng = self.rng
        featured = self.featured
        window_start = first - dt.timedelta(days=INVITATION_WINDOW_DAYS)
        n_follower_only = max(0, self.n_followers - round(self.mutual_share * self.n_connections))
        self.follower_pool = self._fresh(n_follower_only)

        self._add_invitation(self.note_invitation)
        self._invite_between(window_start, first)
        self._accept_until(first)

        for person in featured.all():
            if person.key not in self.connections:
                day = self._old_date(window_start - dt.timedelta(days=30), years=8)
                self.connections[person.key] = day
                self.ever_connected[person.key] = day
        for person in self._fresh(max(0, self.n_connections - len(self.connections))):
            day = self._old_date(first)
            self.connections[person.key] = day
            self.ever_connected[person.key] = day
        self.blank_rows = [
            self._old_date(first) for _ in range(round(_BLANK_PERSON_SHARE * self.n_connections))
        ]

        not_following = {featured.bystanders[1].key}  # one known connection_only person
        for key, day in self.connections.items():
            if key in not_following:
                continue
            if key in self.protected or rng.random() < self.mutual_share:
                ts = _day_start(day) + self._time_of_day()
                self.follow_events.append((ts, self.people.by_key[key]))
        first_start = _day_start(first)
        span = 6 * 365 * _DAY
        for person in self.follower_pool:
            ts = first_start - int(span * rng.random() ** 1.4) - 1
            self.follow_events.append((ts, person))
        self._flush_follow_events(until=_noon_utc(first))

    def _advance(self, previous: dt.date, current: dt.date) -> None:
        """Evolve the network from one snapshot to the next.

        Departures act on the previous state; the arrivals follow in time order, so the
        follower dict stays sorted by follow time (the follower list is newest first).
        """
        rng = self.rng
        churn = self.churn
        target_new = self._round(churn * len(self.connections))

        # Removed connections: never the featured people or anyone with an invitation row
        # (so that "pending" keeps its plain meaning). A fifth were deactivated: blank rows.
        removable = [
            k for k in self.connections if k not in self.protected and k not in self.invited
        ]
        for key in rng.sample(removable, round(churn * 0.5 * len(removable))):
            day = self.connections.pop(key)
            roll = rng.random()
            if roll < 0.2:
                self.blank_rows.append(day)
                self.followers.pop(key, None)
            elif roll < 0.6:
                self.followers.pop(key, None)

        # Connections who unfollow (they stay connected).
        mutual = [k for k in self.connections if k in self.followers and k not in self.protected]
        for key in rng.sample(mutual, round(churn * 0.4 * len(mutual))):
            del self.followers[key]

        # Followers who are not connections leave.
        follower_only = [
            k for k in self.followers if k not in self.connections and k not in self.protected
        ]
        for key in rng.sample(follower_only, round(churn * 0.4 * len(follower_only))):
            del self.followers[key]

        # Job changes: Connections.csv shows the current job, and so does a headline.
        connected = [k for k in self.connections if k not in self.protected]
        movers = rng.sample(connected, round(churn * 0.5 * len(connected)))
        movers += rng.sample(follower_only, round(churn * 0.2 * len(follower_only)))
        for key in movers:
            self.people.give_job(self.people.by_key[key])

        # Invitations of this period; accepted ones (also older ones) become connections.
        self._invite_between(previous, current)
        accepted = self._accept_until(current)

        # New connections without an invitation row (30-45% of them in real exports), a third
        # of them people who already followed.
        from_followers = [
            k for k in self.followers if k not in self.connections and k not in self.invited
        ]
        new_keys: list[str] = []
        for index in range(max(0, target_new - len(accepted))):
            if from_followers and index % 3 == 0:
                pick = rng.randrange(len(from_followers))
                from_followers[pick], from_followers[-1] = from_followers[-1], from_followers[pick]
                key = from_followers.pop()
            else:
                key = self._fresh(1)[0].key
            day = self._day_in(previous, current)
            self.connections[key] = day
            self.ever_connected.setdefault(key, day)
            new_keys.append(key)
        self._follow_when_connecting(accepted + new_keys)

        # New followers who are not connections.
        start, noon = _day_start(previous) + _DAY, _noon_utc(current)
        for person in self._fresh(self._round(churn * 0.8 * self.n_followers)):
            self.follow_events.append((rng.randrange(start, noon), person))
        self._flush_follow_events(until=noon)

    # ---- per-snapshot files -----------------------------------------------------------------

    def _connections_csv(self) -> bytes:
        by_key = self.people.by_key
        rows: list[tuple[dt.date, tuple[str, ...]]] = []
        for key, day in self.connections.items():
            p = by_key[key]
            row = (
                p.first,
                p.last,
                _encoded_url(key),
                p.email,
                p.company or "",
                p.position or "",
                _connected_on(day),
            )
            rows.append((day, row))
        rows.extend((day, ("", "", "", "", "", "", _connected_on(day))) for day in self.blank_rows)
        rows.sort(key=lambda item: item[0], reverse=True)  # stable: ties keep insertion order
        buffer = io.StringIO()
        buffer.write(_CONNECTIONS_PREAMBLE)
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_CONNECTIONS_HEADER)
        writer.writerows(row for _, row in rows)
        return buffer.getvalue().removesuffix("\n").encode()  # no final newline, as LinkedIn

    def _window_invitations(self, day: dt.date) -> list[_Invitation]:
        earliest = day - dt.timedelta(days=INVITATION_WINDOW_DAYS)
        inside = [inv for inv in self.invitations if earliest < inv.sent_at.date() <= day]
        inside.sort(key=lambda inv: inv.sent_at, reverse=True)
        return [inv for inv in inside if inv.outgoing] + [inv for inv in inside if not inv.outgoing]

    def _invitations_csv(self, invitations: list[_Invitation]) -> bytes:
        me = self.me
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_INVITATIONS_HEADER)
        for inv in invitations:
            other = inv.person
            if inv.outgoing:
                row = (me.full_name, other.full_name, _sent_at(inv.sent_at), inv.note, "OUTGOING")
                writer.writerow((*row, me.url, other.url))
            else:
                row = (other.full_name, me.full_name, _sent_at(inv.sent_at), inv.note, "INCOMING")
                writer.writerow((*row, other.url, me.url))
        return buffer.getvalue().encode()

    def _write_follower_list(self, day: dt.date) -> Path:
        rng = self.rng
        raw_only = self.featured.unicode_connection.key  # always raw Unicode in the list
        prefix = _PROFILE_PREFIX
        third_party_url = _third_party_url
        rows: list[tuple[str, _Person]] = []
        append = rows.append
        random_ = rng.random
        for key, person in reversed(self.followers.items()):  # newest follow first
            roll = random_()
            if (roll < 0.55 and key.isascii()) or key == raw_only:  # the common form, inlined
                append((prefix + key, person))
            else:
                append((third_party_url(key, roll), person))
        # One person is listed twice under two URL forms: dedupe must catch it.
        if rows:
            duplicate = rows[rng.randrange(len(rows))][1]
            if duplicate.key == raw_only:
                duplicate = rows[-1][1]
            if duplicate.key != raw_only:
                rows.insert(
                    rng.randrange(len(rows) + 1), (_duplicate_url(duplicate.key), duplicate)
                )
        path = self.folder / f"followers_{day.isoformat()}.csv"
        urls = [url for url, _ in rows]
        if self.style == "phantom":
            import polars as pl

            people = [p for _, p in rows]
            followed = pl.from_epoch(pl.Series([p.followed_at for p in people], dtype=pl.Int64))
            columns = [
                urls,
                [p.first for p in people],
                [p.last for p in people],
                [p.headline for p in people],
                followed.dt.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_list(),
            ]
            path.write_bytes(_csv_bytes(_PHANTOM_HEADER, columns))
        else:
            # What a spreadsheet saves as "CSV UTF-8": a byte-order mark and CRLF line ends.
            columns = [urls, [p.full_name for _, p in rows], [p.headline for _, p in rows]]
            path.write_bytes(_csv_bytes(_SIMPLE_HEADER, columns, line_end="\r\n", bom=True))
        return path

    def _snapshot_state(self, day: dt.date) -> _SnapshotState:
        by_key = self.people.by_key
        connections = dict(self.connections)
        invitations = self._window_invitations(day)
        listed = day in self.listed
        follower_list = self._write_follower_list(day) if listed else None
        followers = set(self.followers) if listed else None

        people: dict[str, PersonTruth] = {}
        for key in connections:
            people[key] = by_key[key].truth_at(True, listed and key in self.followers)
        if listed:
            for key, person in self.followers.items():
                if key not in connections:
                    people[key] = person.truth_at(False, True)
        pending_outbound: set[str] = set()
        pending_inbound: set[str] = set()
        for inv in invitations:
            key = inv.person.key
            if key not in connections:
                (pending_outbound if inv.outgoing else pending_inbound).add(key)
            if key not in people:
                people[key] = inv.person.truth_at(False, False)
        return _SnapshotState(
            connections=connections,
            connections_csv=self._connections_csv(),
            invitations_csv=self._invitations_csv(invitations),
            blank_rows=len(self.blank_rows),
            followers=followers,
            pending_outbound=pending_outbound,
            pending_inbound=pending_inbound,
            people=people,
            follower_list=follower_list,
        )

    # ---- messages ---------------------------------------------------------------------------

    def _forbidden_days(self) -> set[int]:
        """Days on which no message is dated: each snapshot day and the day 90 days before.

        A message on those days would be inside the 90-day window or not depending on whether a
        reader compares dates or timestamps; keeping them empty makes the truth unambiguous.
        """
        days = set()
        for day in self.dates:
            days.add(_day_number(day))
            days.add(_day_number(day) - ACTIVE_WINDOW_DAYS)
        return days

    def _conversation_id(self) -> str:
        raw = f"{self.rng.getrandbits(160):040x}_{self.rng.randrange(1000):03d}".encode()
        return "2-" + base64.b64encode(raw).decode()

    def _messages(self) -> list[_Conversation]:
        me, featured = self.me, self.featured
        forbidden = self._forbidden_days()
        first = self.dates[0]

        def at(day: dt.date, hour: int, minute: int = 0) -> int:
            return _shift(_day_start(day) + hour * 3600 + minute * 60, forbidden)

        conversations: list[_Conversation] = []

        def conversation(
            title: str = "", *, system_sender: str = "", conversation_draft: bool = False
        ) -> _Conversation:
            convo = _Conversation(
                self._conversation_id(),
                title,
                "INBOX",
                [],
                system_sender=system_sender,
                conversation_draft=conversation_draft,
            )
            conversations.append(convo)
            return convo

        # The Unicode connection: the invitation note reappears as the first message, then a
        # multi-line message and a reply before every snapshot (active in every window).
        francois = featured.unicode_connection
        thread = conversation()
        noted = self.note_invitation
        note_ts = _shift(_pacific_to_utc(noted.sent_at), forbidden)
        thread.messages.append(_Message(note_ts, me, (francois,), noted.note))
        for day in self.dates:
            body = (
                f"Hi {me.short_name},\n\nthanks for the intro, it went well.\n"
                f'They said: "let\'s talk in Q1".\n\nBest,\n{francois.short_name}'
            )
            sent = at(day - dt.timedelta(days=12), 10, 4)
            thread.messages.append(_Message(sent, francois, (me,), body))
            reply = at(day - dt.timedelta(days=11), 8, 30)
            thread.messages.append(_Message(reply, me, (francois,), "Sure, let's continue."))

        # A draft to a connection who has no other message: drafts must not make anyone active.
        draft = conversation(conversation_draft=True)
        body = f"Hi {featured.draft_only.short_name}, long time no see! Are you going to"
        ts = at(first - dt.timedelta(days=20), 15, 12)
        draft.messages.append(_Message(ts, me, (featured.draft_only,), body, draft=True))

        # Group 1: only the group sender writes inside the windows; the bystanders just receive.
        sender, bystanders = featured.group_sender, featured.bystanders
        group = conversation(title="Q4 planning, EMEA")
        ts = at(first - dt.timedelta(days=200), 9)
        group.messages.append(_Message(ts, me, (sender, *bystanders), "Welcome, everyone!"))
        for day in self.dates:
            body = "Agenda for Thursday, see below:\n1) pipeline\n2) hiring, budget"
            ts = at(day - dt.timedelta(days=5), 16, 45)
            group.messages.append(_Message(ts, sender, (me, *bystanders), body))

        # Group 2: the member writes to the group, so every recipient who is a connection counts.
        reader, replier = featured.group_reader, featured.group_replier
        group = conversation(title="")
        for day in self.dates:
            ts = at(day - dt.timedelta(days=30), 11)
            group.messages.append(_Message(ts, me, (reader, replier), "Shall we meet on Friday?"))
            ts = at(day - dt.timedelta(days=29), 7, 50)
            group.messages.append(_Message(ts, replier, (me, reader), "Friday works, thanks."))

        # Sponsored messages and a Premium promotion: no sender URL, never counted.
        for day in self.dates:
            sponsored = conversation("Sponsored Conversation", system_sender="LinkedIn Member")
            body = (
                '<p class="spinmail-quill-editor__spin-break">Hi '
                f"{me.short_name},</p><p>Grow your pipeline with Example Ads, free for "
                "30 days.</p>"
            )
            ts = at(day - dt.timedelta(days=3), 6, 3)
            sponsored.messages.append(_Message(ts, None, (me,), body))
        promotion = conversation(system_sender="Angela from LinkedIn Premium")
        ts = at(first - dt.timedelta(days=40), 18, 20)
        promotion.messages.append(_Message(ts, None, (me,), "Try Premium free for 1 month"))

        # Accepted invitation notes reappear as messages (linkedin-formats.md 4.2).
        for inv in self.invitations:
            if inv.outgoing and inv.note and inv.connect_on is not None and inv is not noted:
                sent = _pacific_to_utc(inv.sent_at)
                if sent // _DAY in forbidden or sent >= _day_start(self.dates[-1]):
                    continue
                conversation().messages.append(_Message(sent, me, (inv.person,), inv.note))

        written = sum(len(c.messages) for c in conversations)
        self._random_conversations(conversations, max(0, self.n_messages - written), forbidden)
        return conversations

    def _random_conversations(
        self, conversations: list[_Conversation], target: int, forbidden: set[int]
    ) -> None:
        rng = self.rng
        me = self.me
        by_key = self.people.by_key
        history_start = _day_start(self.dates[0]) - MESSAGE_HISTORY_DAYS * _DAY
        end = _day_start(self.dates[-1])  # the last snapshot day itself stays empty
        pool = [
            (by_key[key], max(history_start, _day_start(day)))
            for key, day in self.ever_connected.items()
            if key not in self.protected
        ]
        followers = list(self.followers)
        if not pool or target <= 0:
            return
        order = list(range(len(pool)))
        rng.shuffle(order)
        cursor = 0
        mean = min(30.0, max(2.0, target / (0.6 * len(pool))))
        bodies = _MESSAGE_BODIES
        made = 0
        attempts = 0
        while made < target and attempts < 20 * target + 100:
            attempts += 1
            kind = rng.random()
            if kind < 0.005:
                convo = _Conversation(
                    self._conversation_id(),
                    "Sponsored Conversation",
                    "INBOX",
                    [],
                    system_sender="LinkedIn Member",
                )
                ts = rng.randrange(history_start, end)
                if ts // _DAY in forbidden:
                    continue
                body = f'<p class="spinmail-quill-editor__spin-break">Hi {me.short_name},</p>'
                convo.messages.append(_Message(ts, None, (me,), body))
                conversations.append(convo)
                made += 1
                continue
            if kind < 0.015:
                members = [pool[rng.randrange(len(pool))] for _ in range(rng.randint(2, 5))]
                others = tuple(dict.fromkeys(p for p, _ in members))
                start = max(since for _, since in members)
                title = rng.choice(_GROUP_TITLES)
                inmail = False
            elif kind < 0.11:
                other = self._inmail_counterpart(followers)
                others, start, inmail = (other,), history_start, True
                title = rng.choice(_INMAIL_TITLES) if rng.random() < 0.5 else ""
            else:
                if cursor == len(order):
                    rng.shuffle(order)
                    cursor = 0
                other, start = pool[order[cursor]]
                cursor += 1
                others, title, inmail = (other,), "", False
            if start >= end:
                continue
            folder_roll = rng.random()
            if inmail and folder_roll < 0.2:
                folder = "SPAM"
            else:
                folder = (
                    "ARCHIVE" if folder_roll < 0.12 else ("" if folder_roll > 0.98 else "INBOX")
                )
            convo = _Conversation(self._conversation_id(), title, folder, [])
            count = min(target - made, 1 + int(rng.expovariate(1.0 / max(mean - 1.0, 0.5))))
            ts = rng.randrange(start, end)
            speaker = others[0] if (inmail and rng.random() < 0.7) else me
            if not inmail and rng.random() < 0.5:
                speaker = rng.choice(others)
            for _ in range(count):
                while ts // _DAY in forbidden:
                    ts += _DAY
                if ts >= end:
                    break
                if speaker is me:
                    recipients = others
                else:
                    recipients = (me, *(p for p in others if p is not speaker))
                greeted = recipients[0].short_name if len(recipients) == 1 else "everyone"
                body = bodies[rng.randrange(len(bodies))]
                if "{" in body:
                    body = body.format(first=greeted, me=speaker.short_name)
                convo.messages.append(_Message(ts, speaker, recipients, body))
                ts += 60 + int(rng.expovariate(1.0 / (1.5 * _DAY)))
                if rng.random() < 0.7:
                    speaker = me if speaker is not me else rng.choice(others)
            if not convo.messages:
                continue
            last = convo.messages[-1]
            if last.sender is me and not inmail and rng.random() < 0.02:
                last.draft = True  # an unsent draft at the end of a thread
            conversations.append(convo)
            made += len(convo.messages)

    def _inmail_counterpart(self, followers: list[str]) -> _Person:
        """A follower who is not a connection, or else a stranger seen only in messages.csv."""
        rng = self.rng
        if followers and rng.random() < 0.5:
            for _ in range(8):
                key = followers[rng.randrange(len(followers))]
                if key not in self.connections and key not in self.protected:
                    return self.people.by_key[key]
        return self._fresh(1)[0]

    def _message_rows(self, conversations: list[_Conversation]) -> list[list[tuple[str, ...]]]:
        """CSV rows per conversation, oldest message first."""
        day_strings: dict[int, str] = {}
        all_rows = []
        for convo in conversations:
            convo.messages.sort(key=lambda m: m.ts)
            rows = []
            for message in convo.messages:
                day_number, seconds = divmod(message.ts, _DAY)
                day_text = day_strings.get(day_number)
                if day_text is None:
                    day_text = day_strings[day_number] = _date_of(day_number).isoformat()
                h, rest = divmod(seconds, 3600)
                date = f"{day_text} {h:02d}:{rest // 60:02d}:{rest % 60:02d} UTC"
                sender = message.sender
                if sender is None:
                    name, url = convo.system_sender, ""
                else:
                    name, url = sender.full_name, sender.url
                recipients = message.recipients
                rows.append(
                    (
                        convo.conversation_id,
                        convo.title,
                        name,
                        url,
                        ",".join(p.full_name for p in recipients),
                        ",".join(p.url for p in recipients),
                        date,
                        "",
                        message.content,
                        convo.folder,
                        "Yes" if message.draft else "No",
                        "Yes" if convo.conversation_draft else "No",
                    )
                )
            all_rows.append(rows)
        return all_rows

    def _messages_csv(
        self,
        day: dt.date,
        conversations: list[_Conversation],
        rows: list[list[tuple[str, ...]]],
        stamps: list[list[int]],
    ) -> bytes:
        """Messages up to `day`: conversations newest first, messages newest first."""
        cutoff = _day_start(day) + _DAY
        chosen: list[tuple[int, int, int]] = []
        for index, ts_list in enumerate(stamps):
            count = bisect_left(ts_list, cutoff)
            if count:
                chosen.append((-ts_list[count - 1], index, count))
        chosen.sort()
        ordered = [row for _, index, count in chosen for row in reversed(rows[index][:count])]
        return _csv_bytes(_MESSAGES_HEADER, _columns(ordered, len(_MESSAGES_HEADER)))

    def _active(
        self, day: dt.date, conversations: list[_Conversation], connections: dict[str, dt.date]
    ) -> set[str]:
        high = _day_number(day)
        low = high - ACTIVE_WINDOW_DAYS
        me = self.me
        active: set[str] = set()
        for convo in conversations:
            if convo.sponsored:
                continue
            for message in convo.messages:
                if message.draft or not low < message.ts // _DAY <= high:
                    continue
                sender = message.sender
                if sender is me:
                    active.update(p.key for p in message.recipients)
                elif sender is not None:
                    active.add(sender.key)
        return {key for key in active if key in connections}

    def _profile_csv(self) -> bytes:
        me = self.me
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_PROFILE_HEADER)
        writer.writerow(
            (
                me.first,
                me.last,
                "",
                "",
                "",
                "Founder & CEO at Nordwind GmbH | B2B sales, done kindly",
                "I help small sales teams sell without spam.\nSpeaker, writer, runner.",
                "Software Development",
                "",
                "Berlin, Germany",
                "",
                "[PERSONAL:https://example.com]",
                "",
            )
        )
        return buffer.getvalue().encode()

    # ---- driver -----------------------------------------------------------------------------

    def write(self) -> list[SnapshotTruth]:
        self.folder.mkdir(parents=True, exist_ok=True)
        states: list[_SnapshotState] = []
        for index, day in enumerate(self.dates):
            if index == 0:
                self._start(day)
            else:
                self._advance(self.dates[index - 1], day)
            states.append(self._snapshot_state(day))

        conversations = self._messages()
        rows = self._message_rows(conversations)
        stamps = [[m.ts for m in convo.messages] for convo in conversations]
        profile = self._profile_csv()

        truths = []
        for day, state in zip(self.dates, states, strict=True):
            files = {
                "Connections.csv": state.connections_csv,
                "Invitations.csv": state.invitations_csv,
                "messages.csv": self._messages_csv(day, conversations, rows, stamps),
                "Profile.csv": profile,
            }
            if self.format_year is not None:
                files = _in_format_of(self.format_year, files, self.me.url)
            stamp = f"{day.month:02d}-{day.day:02d}-{day.year}"
            written = []
            if day not in self.archived:
                pass  # a date of a follower list only: the archive is requested less often
            elif day in self.extracted:
                written.append(self.folder / f"Complete_LinkedInDataExport_{stamp}")
                _write_folder(written[-1], files, day)
            else:
                written.append(self.folder / f"Basic_LinkedInDataExport_{stamp}.zip")
                _write_zip(written[-1], files, day)
            if state.follower_list is not None:
                _pin_mtime(state.follower_list, day)
                written.append(state.follower_list)
            truths.append(
                SnapshotTruth(
                    account=self.account,
                    snapshot_date=day,
                    self_key=self.me.key,
                    connections=state.connections,
                    unidentified_connections=state.blank_rows,
                    followers=state.followers,
                    pending_outbound=state.pending_outbound,
                    pending_inbound=state.pending_inbound,
                    active_90d=self._active(day, conversations, state.connections),
                    people=state.people,
                    files=written,
                )
            )
        return truths


def _third_party_url(key: str, roll: float) -> str:
    """One of the URL forms scrapers and extensions write (linkedin-formats.md 2.1, 10)."""
    if key.isascii():
        slug = key
        if 0.92 <= roll < 0.95:  # a few rows with capitals in the slug
            slug = "-".join(part.capitalize() for part in key.split("-"))
    else:
        slug = key if int(roll * 1000) % 2 == 0 else quote(key, safe="-")
    if roll < 0.55 or roll >= 0.95:
        return _PROFILE_PREFIX + slug
    if roll < 0.70:
        return f"{_PROFILE_PREFIX}{slug}/"
    if roll < 0.76:
        return f"http://linkedin.com/in/{slug}"
    if roll < 0.82:
        host = _COUNTRY_HOSTS[int(roll * 10_000) % len(_COUNTRY_HOSTS)]
        return f"https://{host}.linkedin.com/in/{slug}/"
    if roll < 0.92:
        tail = "/" if int(roll * 1000) % 2 else ""
        return f"{_PROFILE_PREFIX}{slug}{tail}?trk=public_profile"
    return _PROFILE_PREFIX + slug


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    # One pass per column: zip(*rows) is several times slower on a million rows.
    return [[row[index] for row in rows] for index in range(width)]


def _csv_bytes(
    header: Sequence[str],
    columns: Sequence[Sequence[str | None]],
    *,
    line_end: str = "\n",
    bom: bool = False,
) -> bytes:
    """RFC 4180 CSV, fields quoted only when needed, with a final line end.

    Written by Polars because the csv module needs seconds for a million-row follower list.
    Empty strings become empty fields (Polars would write them as `""`).
    """
    import polars as pl

    frame = pl.DataFrame(
        [
            pl.Series(name, column, dtype=pl.String)
            for name, column in zip(header, columns, strict=True)
        ]
    )
    frame = frame.select(
        pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in header
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer, line_terminator=line_end, include_bom=bom, quote_style="necessary")
    return buffer.getvalue()


def _duplicate_url(key: str) -> str:
    """A second form of a listed URL that no ordinary row uses: capitals, country, query."""
    if key.isascii():
        slug = "-".join(part.capitalize() for part in key.split("-"))
    else:
        slug = quote(key, safe="-")
    return f"https://uk.linkedin.com/in/{slug}/?trk=public_profile"


def _pin_mtime(path: Path, day: dt.date) -> None:
    stamp = _noon_utc(day)
    os.utime(path, (stamp, stamp))


def _write_zip(path: Path, files: dict[str, bytes], day: dt.date) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the platform writing it
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    _pin_mtime(path, day)


def _write_folder(path: Path, files: dict[str, bytes], day: dt.date) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    for name, data in files.items():
        (path / name).write_bytes(data)
        _pin_mtime(path / name, day)
    _pin_mtime(path, day)


# --------------------------------------------------------------------------------------------
# Format years: today's files rewritten as LinkedIn wrote them in an earlier year.
# The rewrite reads the bytes written above, so the random stream (and thus the people) is the
# same for every year; only columns, dates, quoting and file names change.

_MESSAGES_2018 = ("From", "To", "Date", "Subject", "Content", "Direction", "Folder")
_MESSAGES_2020 = tuple(name.upper() for name in _MESSAGES_2018)
_MESSAGES_2022 = (
    "CONVERSATION ID",
    "CONVERSATION TITLE",
    "FROM",
    "SENDER PROFILE URL",
    "TO",
    "DATE",
    "SUBJECT",
    "CONTENT",
    "FOLDER",
)
_MESSAGES_2025 = (*_MESSAGES_HEADER[:10], "ATTACHMENTS", "IS MESSAGE DRAFT")
_MESSAGES_2026 = (*_MESSAGES_HEADER[:10], "ATTACHMENTS")


def _rows_of(data: bytes, skip_lines: int = 0) -> tuple[list[str], list[list[str]]]:
    text = data.decode("utf-8")
    for _ in range(skip_lines):
        text = text.split("\n", 1)[1]
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _write_rows(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    preamble: str = "",
    final_newline: bool = True,
    quote_all: bool = False,
) -> bytes:
    buffer = io.StringIO()
    buffer.write(preamble)
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, lineterminator="\n", quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    return (text if final_newline else text.removesuffix("\n")).encode()


def _us_datetime(moment: dt.datetime) -> str:
    return _sent_at(moment)  # "1/8/18, 6:14 PM": Invitations' form, and 2018's everywhere


def _connections_in_format(data: bytes, year: int) -> bytes:
    header, rows = _rows_of(data, skip_lines=3)
    if year >= 2024:
        return data
    url = header.index("URL")
    header = header[:url] + header[url + 1 :]
    rows = [row[:url] + row[url + 1 :] for row in rows]
    if year <= 2018:
        for row in rows:
            day = dt.datetime.strptime(row[-1], "%d %b %Y")
            # A stable time of day from the row itself (no draw from the random stream).
            minutes = zlib.crc32("|".join(row).encode()) % (16 * 60)
            row[-1] = _us_datetime(day + dt.timedelta(hours=7, minutes=minutes))
    preamble = _CONNECTIONS_PREAMBLE if year >= 2021 else ""
    return _write_rows(header, rows, preamble=preamble, final_newline=False)


def _invitations_in_format(data: bytes, year: int) -> bytes:
    header, rows = _rows_of(data)
    if year >= 2024:
        return data
    return _write_rows(header[:5], [row[:5] for row in rows])


def _messages_in_format(data: bytes, year: int, me_url: str) -> bytes:
    header, rows = _rows_of(data)
    column = {name: index for index, name in enumerate(header)}
    if year == 2024:
        return data
    if year < 2024 or year >= 2026:
        # Formats without draft columns: drafts are left out rather than passed off as sent.
        draft_columns = (column["IS MESSAGE DRAFT"], column["IS CONVERSATION DRAFT"])
        rows = [row for row in rows if all(row[i] != "Yes" for i in draft_columns)]
    if year >= 2026:
        return _write_rows(_MESSAGES_2026, [[*row[:10], ""] for row in rows], quote_all=True)
    if year == 2025:
        return _write_rows(_MESSAGES_2025, [[*row[:10], "", row[10]] for row in rows])
    if year == 2023:
        # The 2024-03 form: recipients' URLs, no draft columns (added between 2022-09 and then).
        return _write_rows(_MESSAGES_HEADER[:10], [row[:10] for row in rows])
    if year == 2022:
        keep = [column[name] for name in _MESSAGES_2022]
        return _write_rows(_MESSAGES_2022, [[row[i] for i in keep] for row in rows])
    old_rows = []
    for row in rows:
        moment = dt.datetime.strptime(row[column["DATE"]], "%Y-%m-%d %H:%M:%S UTC")
        outgoing = row[column["SENDER PROFILE URL"]] == me_url
        # 2019 is between the two observed forms (2018-11 and 2020-02): the older one is used.
        if year <= 2019:
            date = _us_datetime(moment)
            folder = "SENT" if outgoing else "INBOX"
        else:
            date = moment.strftime("%Y-%m-%dT%H:%M:%S")
            folder = "INBOX"
        old_rows.append(
            [
                row[column["FROM"]],
                row[column["TO"]],
                date,
                row[column["SUBJECT"]],
                row[column["CONTENT"]],
                "OUTGOING" if outgoing else "INCOMING",
                folder,
            ]
        )
    return _write_rows(_MESSAGES_2018 if year <= 2019 else _MESSAGES_2020, old_rows)


def _in_format_of(year: int, files: dict[str, bytes], me_url: str) -> dict[str, bytes]:
    converted = {
        "Connections.csv": _connections_in_format(files["Connections.csv"], year),
        "Invitations.csv": _invitations_in_format(files["Invitations.csv"], year),
        # 2018 archives name it Messages.csv; lower case since about 2020.
        ("Messages.csv" if year <= 2018 else "messages.csv"): _messages_in_format(
            files["messages.csv"], year, me_url
        ),
        "Profile.csv": files["Profile.csv"],
    }
    return converted


# --------------------------------------------------------------------------------------------
# Public entry points


def write_account_exports(
    inbox: Path,
    account: str,
    snapshot_dates: list[dt.date],
    *,
    n_connections: int,
    n_followers: int,
    n_messages: int,
    seed: int,
    churn: float = 0.03,
    extracted_folder_for: AbstractSet[dt.date] = frozenset(),
    follower_list_for: set[dt.date] | None = None,
    follower_list_style: str = "phantom",
    format_year: int | None = None,
    archive_for: AbstractSet[dt.date] | None = None,
) -> list[SnapshotTruth]:
    """Write one account's exports into `inbox/<account>/` and return what they contain.

    `format_year` (2018-2026) writes the archive files as LinkedIn wrote them that year
    (linkedin-formats.md 2.2, 3.2, 4.1): the same people and events, other columns, dates and
    file names. None (the default) writes today's format.

    One LinkedIn archive per snapshot date (every date, or those in `archive_for`; a zip, or an
    extracted folder for the dates in `extracted_folder_for`) and a follower list (every date,
    or those in `follower_list_for`): the truths describe the network on every date, archive
    or not.
    `n_connections` and `n_followers` are the sizes at the first snapshot; later snapshots drift
    with `churn` (a share per snapshot). `n_messages` is the size of the last snapshot's
    messages.csv; each snapshot holds every message up to its date.
    """
    dates = sorted(set(snapshot_dates))
    if not dates or len(dates) != len(snapshot_dates):
        raise ValueError("snapshot_dates must be a non-empty list of distinct dates")
    if follower_list_style not in ("phantom", "simple"):
        raise ValueError(
            f"follower_list_style must be 'phantom' or 'simple', not {follower_list_style!r}"
        )
    if n_connections < 12:
        raise ValueError("n_connections must be at least 12 (the generator places 9 on purpose)")
    if format_year is not None and format_year not in FORMAT_YEARS:
        raise ValueError(f"format_year must be one of {FORMAT_YEARS[0]}-{FORMAT_YEARS[-1]}")
    if n_followers < 0 or n_messages < 0 or not 0.0 <= churn <= 0.5:
        raise ValueError("n_followers and n_messages must be >= 0 and churn within [0, 0.5]")
    exports = _AccountExports(
        Path(inbox),
        account,
        dates,
        n_connections=n_connections,
        n_followers=n_followers,
        n_messages=n_messages,
        seed=seed,
        churn=churn,
        extracted_folder_for=extracted_folder_for,
        follower_list_for=follower_list_for,
        follower_list_style=follower_list_style,
        format_year=format_year,
        archive_for=archive_for,
    )
    # A million followers are millions of objects without reference cycles: the cyclic
    # garbage collector would walk them again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return exports.write()
    finally:
        if collecting:
            gc.enable()


def write_demo_inbox(inbox: Path, seed: int = 2026) -> list[SnapshotTruth]:
    """The demo inbox: a seller-creator ("me") and a teammate, three snapshots 4 weeks apart."""
    dates = [DEMO_LAST_SNAPSHOT - dt.timedelta(weeks=4 * k) for k in (2, 1, 0)]
    me = write_account_exports(
        inbox,
        "me",
        dates,
        n_connections=2_000,
        n_followers=5_000,
        n_messages=3_000,
        seed=seed,
        extracted_folder_for={dates[1]},
    )
    teammate = write_account_exports(
        inbox,
        "teammate",
        dates,
        n_connections=400,
        n_followers=700,
        n_messages=600,
        seed=seed + 1,
        follower_list_style="simple",
    )
    return me + teammate


def write_sample_icp(path: Path) -> None:
    """Copy the sample ideal-customer-profile file shipped with the package to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(resources.files("transforms").joinpath("sample_icp.yaml").read_bytes())
