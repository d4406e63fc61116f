"""Loading one account: every pending observation taken in, oldest first, as one unit of work.

Every inbox item is an observation of part of the account at its own date: an archive
observes its connections (with the invitations and messages of the same archive), a follower
list its followers; items of one kind and date form one observation (a Complete archive wins
over a Basic one per file). An observation is judged when its items arrive: its files must
pass the raw expectation suites (else it is `refused`), and the partial-export gate compares
it with the previous used observation of its kind (else it is `blocked`, until accepted or
replaced). The account's timeline (`transforms.timeline`) has a snapshot on every date of a
used observation; the snapshots whose carried observations changed are classified again, and
the history is merged from the earliest of them.

Identity is the account's, over its whole history: rows without a URL (archives before 2024)
take the slug that the account's archives with URLs give the same name and company, whichever
was loaded first; when a load brings URLs, the archives without are keyed again, and if that
links anyone differently their snapshots are rebuilt. The same inbox, in any order and in any
number of runs, gives the same observations, timeline, history and metrics.

The warehouse is opened only for DuckDB's part of the work, under its OS lock; parsing,
validation and classification run with it closed, beside other accounts' loads:

    1. read the account's state (exports, observations, timeline, URL rows)      (locked)
    2. parse the new items; read back the stored files this load needs            (closed)
       (locked for the read, if any), hand the files to the raw suites
    3. store the new items' raw rows, while GX judges their files                 (locked)
       and a thread keys and gates the observations                               (closed)
    4. classify, validate the snapshots                                           (closed)
       (an observation arriving late may need more stored files: one more read)
    5. write the observations, the changed snapshots and the history, at once     (locked)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace

import duckdb
import polars as pl

from inbox.discovery import InboxItem, scan_inbox
from inbox.home import Home
from inbox.items import ItemOutcome, ReadItem, read_items
from quality import worker
from quality.partial_export import excessive_loss, observation_blocked_message
from quality.suites import RAW_RULES, RawFile, SnapshotRows, core_snapshot_batch, raw_batch
from quality.validation import ValidationReport
from transforms.classify import (
    ArchivePeople,
    archive_people,
    classify_relationships,
    follower_people,
)
from transforms.metrics import people_change
from transforms.timeline import CONNECTIONS, FOLLOWERS, changed_snapshots, timeline
from warehouse.database import transaction
from warehouse.history import broken_invariants, merge_history, replace_snapshots
from warehouse.observations import (
    BLOCKED,
    REFUSED,
    USED,
    Observation,
    clear_rebuild_due,
    judged_sources,
    read_files,
    read_observations,
    read_timeline,
    rebuild_due,
    waiting_accounts,
    write_observations,
)
from warehouse.raw import (
    ExportRecord,
    account_exports,
    is_complete_export,
    load_export,
    mark_window_stale,
    url_connections,
)

OpenWarehouse = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
Key = tuple[str, dt.date]  # an observation: its kind and date
# The files an archive observation is made of; Connections.csv is the one it cannot lack.
ARCHIVE_FILES = ("connections", "invitations", "messages")


@dataclass(frozen=True)
class LoadSettings:
    carry_days: int
    max_loss: float
    # Observations (`account:YYYY-MM-DD`) the partial-export gate lets through, and what said so.
    accepted: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Export:
    """An item of the account stored in the raw layer, or being stored by this load."""

    export_id: str
    observed_on: dt.date
    item_name: str
    file_kinds: frozenset[str]


def observation_sources(exports: list[Export]) -> dict[Key, dict[str, str]]:
    """The observations the exports make, with the export supplying each of their files:
    for each date and file, a Complete archive wins over a Basic one whatever order they came
    in (it is the fuller export of the same day); among equals, the latest loaded (``exports``
    are in loading order). An archive observation needs a Connections.csv."""
    best: dict[tuple[dt.date, str], tuple[bool, int, str]] = {}
    for order, export in enumerate(exports):
        rank = (is_complete_export(export.item_name), order, export.export_id)
        for kind in export.file_kinds:
            if best.get((export.observed_on, kind), (False, -1, ""))[:2] <= rank[:2]:
                best[(export.observed_on, kind)] = rank
    sources: dict[Key, dict[str, str]] = {}
    for (day, kind), (_, _, export_id) in sorted(best.items()):
        if kind in ARCHIVE_FILES and (day, "connections") in best:
            sources.setdefault((CONNECTIONS, day), {})[kind] = export_id
        elif kind == "followers":
            sources[(FOLLOWERS, day)] = {"followers": export_id}
    return sources


@dataclass
class AccountState:
    """What one account's load reads of the warehouse before anything else."""

    exports: list[Export]
    observations: dict[Key, Observation]
    timeline: pl.DataFrame
    known_urls: pl.DataFrame  # connection rows with a URL, as warehouse.raw.url_connections
    rebuild_due: bool

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, account: str) -> AccountState:
        return cls(
            exports=[
                Export(export_id, day, name, frozenset(kinds or ()))
                for _, export_id, day, name, _, kinds in account_exports(con, account)
            ],
            observations=read_observations(con, account),
            timeline=read_timeline(con, account),
            known_urls=url_connections(con, account),
            rebuild_due=rebuild_due(con, account),
        )


@dataclass
class Judgement:
    """What the checks found in one load."""

    raw: dict[str, ValidationReport] = field(default_factory=dict)  # by file kind
    cap: dict[dt.date, int] = field(default_factory=dict)  # identified connections by archive
    gate: list[Observation] = field(default_factory=list)  # observations the gate judged
    core: ValidationReport | None = None
    # Observations an earlier load refused, which no new export replaced.
    refused_before: list[Observation] = field(default_factory=list)


@dataclass
class AccountLoad:
    """What a load of one account did: for its materializations, its checks and `lnw run`."""

    account: str
    outcomes: list[ItemOutcome]
    judgement: Judgement
    observations: list[Observation] = field(default_factory=list)  # rows written
    snapshots: list[dt.date] = field(default_factory=list)  # snapshots written or removed
    classified: dict[dt.date, int] = field(default_factory=dict)  # rows written, by snapshot
    history: str | None = None  # how the history was merged, if it was
    invariants: dict[str, int] | None = None  # the history's broken invariants, once merged
    history_rows: tuple[int, int] = (0, 0)  # the account's current and all history rows
    blocked: list[str] = field(default_factory=list)  # why observations are not used
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per phase


class _Files:
    """Raw frames by (file kind, export id): this load's parsed files, and stored ones read
    back when they are needed."""

    def __init__(self, read: list[ReadItem]) -> None:
        self.frames: dict[tuple[str, str], pl.DataFrame] = {}
        self.columns: dict[tuple[str, str], list[str]] = {}
        for done in read:
            by_kind: dict[str, list[pl.DataFrame]] = {}
            for parsed in done.files if done.outcome is None else []:
                by_kind.setdefault(parsed.file_kind, []).append(parsed.frame)
            for kind, frames in by_kind.items():
                # Split files (Connections_1.csv, Connections_2.csv) are read together.
                frame = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
                self.frames[(kind, done.item.export_id)] = frame
                self.columns[(kind, done.item.export_id)] = frame.columns

    def missing(self, sources: list[dict[str, str]]) -> set[tuple[str, str]]:
        wanted = {(kind, export_id) for s in sources for kind, export_id in s.items()}
        return wanted - set(self.frames)

    def read(self, con: duckdb.DuckDBPyConnection, wanted: set[tuple[str, str]]) -> None:
        for key, frame in read_files(con, wanted - set(self.frames)).items():
            self.frames[key] = frame
            self.columns[key] = frame.columns

    def get(self, kind: str, export_id: str | None) -> pl.DataFrame | None:
        return None if export_id is None else self.frames[(kind, export_id)]


def pending_accounts(con: duckdb.DuckDBPyConnection, items: list[InboxItem]) -> list[str]:
    """Accounts a load has something to do for: an inbox item not stored yet; stored items
    whose observations were not judged (a load cut short after storing them); an observation
    blocked or refused (judged, or reported, again); a rebuild due."""
    pending = waiting_accounts(con)
    exports: dict[str, list[Export]] = {}
    for account, export_id, day, name, _, kinds in account_exports(con):
        exports.setdefault(account, []).append(Export(export_id, day, name, frozenset(kinds or ())))
    stored = {e.export_id for account_exports_ in exports.values() for e in account_exports_}
    pending |= {item.account for item in items if item.export_id not in stored}
    judged = judged_sources(con)
    for account, account_exports_ in exports.items():
        sources = observation_sources(account_exports_)
        wanted = {key: sorted(set(s.values())) for key, s in sources.items()}
        if wanted != judged.get(account, {}):
            pending.add(account)
    return sorted(pending)


def load_account(
    home: Home,
    warehouse: OpenWarehouse,
    account: str,
    settings: LoadSettings,
    *,
    rebuild: bool = False,
    items: list[InboxItem] | None = None,
) -> AccountLoad:
    """Take in every new item of the account, judge the observations they make, rebuild the
    snapshots whose carried observations changed and merge the history. ``rebuild`` judges
    and rebuilds everything from the stored raw rows (a backfill); ``items``: the account's
    inbox items, if already scanned."""
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    with clock("scan"):
        items = scan_inbox(home.inbox, account).items if items is None else items
    with clock("read state"), warehouse() as con:
        state = AccountState.read(con, account)
    stored_ids = {e.export_id for e in state.exports}
    with clock("parse"):
        read = read_items(home, [i for i in items if i.export_id not in stored_ids])
    load = _Load(account, settings, state, read, rebuild=rebuild or state.rebuild_due)
    wanted = load.files_wanted_first()
    if wanted:
        with clock("read stored files"), warehouse() as con:
            load.files.read(con, wanted)
    with clock("submit checks"):
        load.submit_checks()
    # The raw suites judge the parsed frames, not the stored rows, and keying needs only the
    # frames too: a thread waits for the suites and keys while DuckDB stores the rows here
    # (both let go of the GIL, as Polars does). The warehouse stays in this thread: a kept
    # connection belongs to the thread that opened it (warehouse/lock.py).
    with ThreadPoolExecutor(1, thread_name_prefix="judge") as judging:
        judged = judging.submit(_judge, clock, load)
        with clock("store raw"), warehouse() as con:
            outcomes = _store_items(con, read)
        judged.result()
    wanted = load.files_wanted_then()
    if wanted:
        with clock("read more"), warehouse() as con:
            load.files.read(con, wanted)
    result = AccountLoad(account, outcomes, load.judgement, timings=timings)
    with clock("classify and validate"):
        load.classify()
    result.blocked = load.reasons()
    if load.judgement.core is not None and not load.judgement.core.success:
        # The snapshots are not what the design says they are: none of them is written.
        result.blocked.append(load.judgement.core.summary())
        return result
    # The write needs only the classified snapshots: the parsed files and keyed people go
    # first, or they would still be held where the load's memory peaks.
    del read
    load.drop_inputs()
    with clock("write"), warehouse() as con, transaction(con):
        load.write(con, result)
    return result


class _Clock:
    """Wall time per phase of a load, for benchmarks/ and the step's metadata."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started


def _judge(clock: _Clock, load: _Load) -> None:
    with clock("validate and key"):
        load.judge()
    with clock("gate and plan"):
        load.gate()
        load.plan()


def _store_items(con: duckdb.DuckDBPyConnection, read: list[ReadItem]) -> list[ItemOutcome]:
    """Store the parsed items in the raw layer, each in its own transaction."""
    outcomes = []
    for done in read:
        if done.outcome is not None:
            outcomes.append(done.outcome)
            continue
        item, files = done.item, done.files
        record = ExportRecord(
            export_id=item.export_id,
            account=item.account,
            observed_on=item.observed_on,
            item_name=item.name,
            item_kind=item.kind,
            content_sha256=item.sha256,
            archive_path=done.archive_path,
            dated_by=item.dated_by,
        )
        # An item with nothing the pipeline uses is recorded too (with no files), so that the
        # next run reports it as already seen instead of as new.
        rows = load_export(con, record, files)
        for parsed in files:
            if parsed.file_kind == "follower_counts":
                mark_window_stale(con, item.account, parsed.frame)
        if not files:
            outcomes.append(ItemOutcome(item, "unused", "holds nothing the pipeline uses"))
            continue
        outcomes.append(ItemOutcome(item, "loaded", "", rows))
    return outcomes


def _order(key: Key) -> tuple[dt.date, int]:
    # Archives first on a date: the member's own key comes from them, and a follower list
    # leaves the member out.
    return key[1], 0 if key[0] == CONNECTIONS else 1


class _Load:
    """The steps of one account's load that need no connection, and the final write."""

    def __init__(self, account, settings, state, read, *, rebuild: bool) -> None:
        self.account, self.settings, self.state, self.rebuild = account, settings, state, rebuild
        self.files = _Files(read)
        new = [
            Export(r.item.export_id, r.item.observed_on, r.item.name, frozenset(self._kinds(r)))
            for r in read
            if r.outcome is None
        ]
        self.names = {e.export_id: e.item_name for e in [*state.exports, *new]}
        self.sources = observation_sources([*state.exports, *new])
        self.stored = state.observations
        self.observations: dict[Key, Observation] = dict(state.observations)
        self.judgement = Judgement()
        self.people: dict[Key, ArchivePeople | pl.DataFrame] = {}
        self.changed_people: set[Key] = set()  # observations whose people are others now
        new_urls = [
            frame.select("first_name", "last_name", "profile_url", "company").filter(
                pl.col("profile_url").is_not_null()
            )
            for (kind, _), frame in self.files.frames.items()
            if kind == "connections"
        ]
        self.known = pl.concat([state.known_urls, *new_urls], how="vertical_relaxed").unique()
        stored = self.stored
        self.to_judge = {
            key: srcs
            for key, srcs in self.sources.items()
            if self.rebuild
            or key not in stored
            or stored[key].export_ids != sorted(set(srcs.values()))
        }
        # New URLs may link rows without URL of the account's older archives differently.
        brings_urls = any(not frame.is_empty() for frame in new_urls)
        self.relink = {
            key
            for key, o in stored.items()
            if brings_urls and o.used and o.identity is not None and key not in self.to_judge
        }
        self.timeline: pl.DataFrame | None = None
        self.changed: set[dt.date] = set()
        self.refigure: set[Key] = set()
        self.classified: dict[dt.date, pl.DataFrame] = {}

    @staticmethod
    def _kinds(read: ReadItem) -> set[str]:
        return {f.file_kind for f in read.files}

    # -- files --

    def files_wanted_first(self) -> set[tuple[str, str]]:
        """The stored files the observations to judge and to key again are made of, and those
        of the latest used observation of each kind (what new ones most likely carry, or
        are compared with)."""
        keys = {*self.to_judge, *self.relink}
        if self.to_judge:
            for kind in (CONNECTIONS, FOLLOWERS):
                used = [o for o in self.stored.values() if o.kind == kind and o.used]
                if used:
                    keys.add(max(used, key=lambda o: o.observed_on).key)
        return self.files.missing([self.sources[k] for k in keys if k in self.sources])

    def files_wanted_then(self) -> set[tuple[str, str]]:
        return self.files.missing([self.sources[k] for k in self._needed() - set(self.people)])

    # -- judging --

    def submit_checks(self) -> None:
        """Hand the files of the observations to judge to GX, one batch per file kind
        (`quality.worker`: in another process if it runs, so that storing raw rows goes on
        beside it)."""
        self._files_by_kind: dict[str, list[RawFile]] = {}
        self._labels: dict[Key, list[tuple[str, str]]] = {}
        for key in sorted(self.to_judge, key=_order):
            for kind, export_id in sorted(self.to_judge[key].items()):
                label = f"{key[1].isoformat()} {self.names[export_id]}"
                rows, columns = (
                    self.files.get(kind, export_id),
                    self.files.columns[(kind, export_id)],
                )
                raw_file = RawFile(label, rows, columns, key[1])
                self._files_by_kind.setdefault(kind, []).append(raw_file)
                self._labels.setdefault(key, []).append((kind, label))
        self._pending = {
            kind: self._submit(raw_batch(RAW_RULES[kind], raw_files))
            for kind, raw_files in self._files_by_kind.items()
        }

    def judge(self) -> None:
        """Take the raw suites' reports, key and count the observations that pass, and key
        again the archives whose rows without URL may link differently now."""
        for kind, pending in self._pending.items():
            raw_files = self._files_by_kind[kind]
            self.judgement.raw[kind] = self._named(
                pending.report(),
                lambda k=kind, f=raw_files: raw_batch(RAW_RULES[k], f, each_file=True),
                len(raw_files),
            )
        for key in sorted(self.to_judge, key=_order):
            sources = self.to_judge[key]
            observation = Observation(key[0], key[1], sorted(set(sources.values())))
            failed = [
                self.judgement.raw[kind].of(label)
                for kind, label in self._labels[key]
                if not self.judgement.raw[kind].of(label).success
            ]
            self.changed_people.add(key)
            if failed:
                observation.status = REFUSED
                observation.reason = "; ".join(report.summary() for report in failed)
            else:
                self._count(observation, self._key(key), sources)
                before = self.stored.get(key)
                if before is not None and before.export_ids == observation.export_ids:
                    observation.accepted_by = before.accepted_by
            self.observations[key] = observation
        for key in self.relink:
            people = self._key(key)
            if people.identity != self.stored[key].identity:
                self.changed_people.add(key)
                self.observations[key] = replace(self.observations[key], identity=people.identity)

    def _submit(self, batch) -> worker.Pending:
        return worker.submit(batch, run_name=f"{self.account} load")

    def _named(self, report: ValidationReport, each_file, files: int) -> ValidationReport:
        """A batch judged as one names no file: when it fails and holds several, a second
        GX run says which of them fail (`quality.suites.raw_batch`)."""
        if report.success or files == 1:
            return report
        return self._submit(each_file()).report()

    def _key(self, key: Key) -> ArchivePeople | pl.DataFrame:
        """The observation's people, keyed from its files (which must be at hand)."""
        if key not in self.people:
            kind, day = key
            sources = self.sources[key]
            if kind == CONNECTIONS:
                self.people[key] = archive_people(
                    self.files.get("connections", sources["connections"]),
                    self.files.get("invitations", sources.get("invitations")),
                    self.files.get("messages", sources.get("messages")),
                    observed_on=day,
                    known=self.known,
                )
            else:
                self.people[key] = follower_people(
                    self.files.get("followers", sources["followers"])
                )
        return self.people[key]

    def _count(self, observation: Observation, people, sources: dict[str, str]) -> None:
        if observation.kind == CONNECTIONS:
            observation.people = people.connections.height
            observation.unidentified = people.unidentified
            observation.self_key = people.self_key
            observation.has_invitations = people.has_invitations
            observation.has_messages = people.has_messages
            observation.identity = people.identity
            self.judgement.cap[observation.observed_on] = observation.people
            invitations = self.files.get("invitations", sources.get("invitations"))
            if invitations is not None and not invitations.is_empty():
                observation.invitations_since = invitations["sent_at"].min()
        else:
            observation.people = people.height

    def gate(self) -> None:
        """Every observation of the account, in date order per kind, with the gate's decision
        wherever it may have changed: a newly judged observation, a blocked one (an
        acceptance may have come), one whose previous used observation is another now."""
        for kind in (CONNECTIONS, FOLLOWERS):
            previous: Observation | None = None
            for key in sorted((k for k in self.observations if k[0] == kind), key=_order):
                observation = self.observations[key]
                if observation.status == REFUSED:
                    continue
                before = previous.observed_on if previous else None
                if (
                    key in self.to_judge
                    or observation.status == BLOCKED
                    or observation.previous_observed_on != before
                ):
                    judged = self._gate(observation, previous)
                    # A blocked observation is reported again at every load, until it is
                    # accepted or replaced.
                    if key in self.to_judge or judged != observation or not judged.used:
                        self.judgement.gate.append(judged)
                    self.observations[key] = observation = judged
                if observation.used:
                    previous = observation

    def _gate(self, observation: Observation, previous: Observation | None) -> Observation:
        key = f"{self.account}:{observation.observed_on.isoformat()}"
        what = "connections" if observation.kind == CONNECTIONS else "followers"
        judged = replace(
            observation,
            previous_observed_on=previous.observed_on if previous else None,
            status=USED,
            reason=None,
        )
        if previous is None or observation.people is None or previous.people is None:
            return replace(judged, accepted_by=None)
        loss = excessive_loss(what, previous.people, observation.people, self.settings.max_loss)
        if loss is None:
            return replace(judged, accepted_by=None)
        accepted_by = observation.accepted_by or self.settings.accepted.get(key)
        if accepted_by:
            return replace(judged, accepted_by=accepted_by, reason=loss.describe())
        return replace(
            judged,
            status=BLOCKED,
            reason=observation_blocked_message(
                key, observation.kind, previous.observed_on, loss, self.settings.max_loss
            ),
        )

    # -- the snapshots --

    def plan(self) -> None:
        """The new timeline, the snapshots to build again (their carried observations
        changed) and the observations whose new and lost people must be counted again."""
        used = [o for o in self.observations.values() if o.used]
        self.timeline = timeline(
            pl.DataFrame(
                {"kind": [o.kind for o in used], "observed_on": [o.observed_on for o in used]},
                schema={"kind": pl.String, "observed_on": pl.Date},
            ),
            self.settings.carry_days,
        )
        if self.rebuild:
            self.changed = {*self.timeline["snapshot_date"], *self.state.timeline["snapshot_date"]}
        else:
            self.changed = set(changed_snapshots(self.state.timeline, self.timeline))
        changed_people = {k for k in self.changed_people if self.observations[k].used}
        for row in self.timeline.iter_rows(named=True):
            if self._carried(row) & changed_people:
                self.changed.add(row["snapshot_date"])
        for kind in (CONNECTIONS, FOLLOWERS):
            previous: Key | None = None
            for key in sorted((k for k in self.observations if k[0] == kind), key=_order):
                observation = self.observations[key]
                if not observation.used:
                    continue
                stored = self.stored.get(key)
                if (
                    self.rebuild
                    or key in changed_people
                    or (previous is not None and previous in changed_people)
                    or stored is None
                    or stored.previous_observed_on != observation.previous_observed_on
                ):
                    self.refigure.add(key)
                previous = key

    @staticmethod
    def _carried(row: dict) -> set[Key]:
        carried = set()
        if row["connections_observed_on"] is not None:
            carried.add((CONNECTIONS, row["connections_observed_on"]))
        if row["followers_observed_on"] is not None:
            carried.add((FOLLOWERS, row["followers_observed_on"]))
        return carried

    def _rows(self) -> dict[dt.date, dict]:
        return {r["snapshot_date"]: r for r in self.timeline.iter_rows(named=True)}

    def _needed(self) -> set[Key]:
        """The observations whose people the snapshots to build and the counts need."""
        needed = set()
        rows = self._rows()
        for day in self.changed:
            if day in rows and rows[day]["connections_observed_on"] is not None:
                needed |= self._carried(rows[day])
        for key in self.refigure:
            needed.add(key)
            previous = self.observations[key].previous_observed_on
            if previous is not None:
                needed.add((key[0], previous))
        return needed

    def classify(self) -> None:
        """Count new and lost people of the observations to refigure, classify the snapshots
        to build, and validate them with the core suite (one GX run)."""
        for key in self.refigure:
            observation = self.observations[key]
            if observation.previous_observed_on is None:
                self.observations[key] = replace(observation, new_people=None, lost_people=None)
                continue
            now = self._person_keys(self._key(key))
            before = self._person_keys(self._key((key[0], observation.previous_observed_on)))
            new, lost = people_change(now, before)
            self.observations[key] = replace(observation, new_people=new, lost_people=lost)
        rows = self._rows()
        for day in sorted(self.changed):
            row = rows.get(day)
            if row is None or row["connections_observed_on"] is None:
                continue
            archive = self._key((CONNECTIONS, row["connections_observed_on"]))
            followers = None
            if row["followers_observed_on"] is not None:
                followers = self._key((FOLLOWERS, row["followers_observed_on"]))
            self.classified[day] = classify_relationships(archive, followers)
        if self.classified:
            snapshots = [
                SnapshotRows(
                    day.isoformat(), people, rows[day]["followers_observed_on"] is not None
                )
                for day, people in sorted(self.classified.items())
            ]
            whole = self._submit(core_snapshot_batch(snapshots)).report()
            self.judgement.core = self._named(
                whole, lambda: core_snapshot_batch(snapshots, each_file=True), len(snapshots)
            )

    def _person_keys(self, people) -> pl.DataFrame:
        if isinstance(people, ArchivePeople):
            return people.connections.select("person_key")
        return people.select("person_key")

    def reasons(self) -> list[str]:
        """Why observations of the account are not used: what makes its load fail."""
        self.judgement.refused_before = [
            o
            for key, o in self.observations.items()
            if o.status == REFUSED and key not in self.to_judge
        ]
        return [
            f"the {o.kind} observed on {o.observed_on}: {o.reason}"
            for o in sorted(self.observations.values(), key=lambda o: _order(o.key))
            if o.status in (BLOCKED, REFUSED)
        ]

    def drop_inputs(self) -> None:
        self.files.frames.clear()
        self.people.clear()

    # -- the write --

    def write(self, con: duckdb.DuckDBPyConnection, result: AccountLoad) -> None:
        """Observations, snapshots and history, in the caller's one transaction."""
        written = {k for k in self.observations if self.observations[k] != self.stored.get(k)}
        result.observations = [self.observations[k] for k in sorted(written, key=_order)]
        write_observations(con, self.account, result.observations)
        rows = self._rows()
        stale = [*self.changed]
        for row in rows.values():
            if self._carried(row) & self.refigure:
                stale.append(row["snapshot_date"])
        if self.changed:
            snapshots = pl.DataFrame(
                [self._snapshot_facts(rows[day]) for day in sorted(self.changed) if day in rows],
                schema=SNAPSHOT_SCHEMA,
            )
            removed = sorted(day for day in self.changed if day not in rows)
            replace_snapshots(con, self.account, snapshots, self.classified, removed)
            result.history = merge_history(con, self.account, min(self.changed))
            result.invariants = broken_invariants(con, self.account)
            result.history_rows = con.execute(
                "SELECT count(*) FILTER (WHERE is_current), count(*) "
                "FROM core.relationship_history WHERE account = ?",
                [self.account],
            ).fetchall()[0]
            result.snapshots = sorted(self.changed)
            result.classified = {day: people.height for day, people in self.classified.items()}
        if stale:
            # A snapshot's changes look back at the one before, its acceptance rate at every
            # earlier one: everything from the first change on is recomputed.
            con.execute(
                "UPDATE core.snapshots SET marts_stale = true "
                "WHERE account = ? AND snapshot_date >= ?",
                [self.account, min(stale)],
            )
        if self.rebuild:
            clear_rebuild_due(con, self.account)

    def _snapshot_facts(self, row: dict) -> dict:
        """core.snapshots facts of a timeline snapshot, from the observations it carries."""
        archive = self.observations.get((CONNECTIONS, row["connections_observed_on"]))
        listed = self.observations.get((FOLLOWERS, row["followers_observed_on"]))
        exports = {e for key in self._carried(row) for e in self.sources[key].values()}
        people = self.classified.get(row["snapshot_date"])
        followers = None
        if listed is not None:
            # Classified: the list's people but the member (a scraper may list the member).
            followers = listed.people if people is None else int(people["is_follower"].sum())
        return {
            **row,
            "export_ids": sorted(exports),
            "self_key": archive.self_key if archive else None,
            "has_follower_list": row["followers_observed_on"] is not None,
            "has_invitations": bool(archive and archive.has_invitations),
            "has_messages": bool(archive and archive.has_messages),
            "unidentified_connections": archive.unidentified if archive else None,
            "followers": followers,
        }


SNAPSHOT_SCHEMA = {
    "snapshot_date": pl.Date,
    "connections_observed_on": pl.Date,
    "followers_observed_on": pl.Date,
    "export_ids": pl.List(pl.String),
    "self_key": pl.String,
    "has_follower_list": pl.Boolean,
    "has_invitations": pl.Boolean,
    "has_messages": pl.Boolean,
    "unidentified_connections": pl.Int64,
    "followers": pl.Int64,
}
