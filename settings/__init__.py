"""Every setting the project reads, validated in one place before any work starts.

The environment is read here and nowhere else below the CLI: `lnw` checks every setting
before it opens the warehouse, and the Dagster definitions check the ones they need when they
load, so that a typo is one sentence (the setting, its value, what is expected, how to fix
it) instead of a traceback after every snapshot has loaded. Each getter raises
`SettingError`; `check_environment` runs them all.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

HOME_ENV = "LNW_HOME"
ICP_ENV = "LNW_ICP"
MAX_FILE_ENV = "LNW_MAX_FILE_MB"
CARRY_ENV = "LNW_CARRY_DAYS"
MAX_LOSS_ENV = "LNW_MAX_LOSS"
ACCEPT_ENV = "LNW_ACCEPT_PARTIAL"
INVITATIONS_ENV = "LNW_WEEKLY_INVITATIONS"
STALE_INVITATIONS_ENV = "LNW_STALE_INVITATION_DAYS"
SENSOR_ENV = "LNW_SENSOR_INTERVAL"
CRON_ENV = "LNW_REFRESH_CRON"
EXECUTOR_ENV = "LNW_EXECUTOR"
# Hooks for benchmarks and the crash tests; never needed by a user.
LOCK_TRACE_ENV = "LNW_LOCK_TRACE"
CRASH_TRACE_ENV = "LNW_CRASH_TRACE"
CRASH_AT_ENV = "LNW_CRASH_AT"

DEFAULT_HOME = "data"
DEFAULT_MAX_FILE_MB = 1024
# The same values as transforms.timeline's and transforms.metrics' defaults (a test keeps
# them equal): importing those would cost every `lnw` command Polars' import.
DEFAULT_CARRY_DAYS = 35
DEFAULT_MAX_LOSS = 0.20
DEFAULT_WEEKLY_INVITATIONS = 100
DEFAULT_STALE_INVITATION_DAYS = 21
DEFAULT_SENSOR_INTERVAL = 60
DEFAULT_REFRESH_CRON = "0 6 * * 1"
EXECUTORS = ("multiprocess", "celery", "k8s")

_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SettingError(ValueError):
    """A setting with a value the project cannot use; the message is the whole sentence."""

    def __init__(self, setting: str, value: object, expected: str, fix: str) -> None:
        shown = value if isinstance(value, str) else str(value)
        super().__init__(f"{setting}={shown!r} is not valid: {expected}. {fix}")
        self.setting = setting


def _env(name: str, env: Mapping[str, str] | None = None) -> str:
    return (os.environ if env is None else env).get(name, "").strip()


def _unset_fix(name: str) -> str:
    return f"Set {name} to such a value, or unset it for the default."


def _integer(name: str, default: int, minimum: int, what: str, env=None) -> int:
    text = _env(name, env)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingError(name, text, f"expected {what} (default {default})", _unset_fix(name))
    return value


def max_file_bytes(env: Mapping[str, str] | None = None) -> int:
    """The largest file read from an item: ``LNW_MAX_FILE_MB`` megabytes (default 1024)."""
    text = _env(MAX_FILE_ENV, env)
    if not text:
        return DEFAULT_MAX_FILE_MB * 1024**2
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = 0.0
    if not 0 < megabytes < 1024**2:
        raise SettingError(
            MAX_FILE_ENV,
            text,
            f"expected a size in megabytes above 0, such as 512 (default {DEFAULT_MAX_FILE_MB})",
            _unset_fix(MAX_FILE_ENV),
        )
    return int(megabytes * 1024**2)


def carry_days(env: Mapping[str, str] | None = None) -> int:
    return _integer(CARRY_ENV, DEFAULT_CARRY_DAYS, 0, "a whole number of days, 0 or more", env)


def weekly_invitations(env: Mapping[str, str] | None = None) -> int:
    return _integer(
        INVITATIONS_ENV,
        DEFAULT_WEEKLY_INVITATIONS,
        1,
        "a whole number of invitations, 1 or more",
        env,
    )


def stale_invitation_days(env: Mapping[str, str] | None = None) -> int:
    """How many days an outbound invitation may wait before analytics.stale_invitations lists
    it: ``LNW_STALE_INVITATION_DAYS``, else 21."""
    return _integer(
        STALE_INVITATIONS_ENV,
        DEFAULT_STALE_INVITATION_DAYS,
        1,
        "a whole number of days, 1 or more",
        env,
    )


def sensor_interval(env: Mapping[str, str] | None = None) -> int:
    return _integer(
        SENSOR_ENV, DEFAULT_SENSOR_INTERVAL, 1, "a whole number of seconds, 1 or more", env
    )


def max_loss(value: str | None = None, env: Mapping[str, str] | None = None) -> float:
    """The largest share of connections or followers an observation may lose: ``value``, else
    ``LNW_MAX_LOSS``, else 20 %. Accepts ``0.2`` or ``20%``."""
    text = (value if value is not None else _env(MAX_LOSS_ENV, env)).strip()
    if not text:
        return DEFAULT_MAX_LOSS
    try:
        share = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise SettingError(
            MAX_LOSS_ENV,
            text,
            "expected a share above 0 and at most 1, such as 0.2 or 20% (default 0.2)",
            _unset_fix(MAX_LOSS_ENV),
        )
    return share


def refresh_cron(env: Mapping[str, str] | None = None) -> str:
    text = _env(CRON_ENV, env)
    if not text:
        return DEFAULT_REFRESH_CRON
    from dagster._utils.schedules import is_valid_cron_string

    if not is_valid_cron_string(text):
        raise SettingError(
            CRON_ENV,
            text,
            f"expected a cron string of five fields, such as {DEFAULT_REFRESH_CRON!r} "
            "(Mondays 06:00 UTC)",
            _unset_fix(CRON_ENV),
        )
    return text


def executor(env: Mapping[str, str] | None = None) -> str:
    text = _env(EXECUTOR_ENV, env) or EXECUTORS[0]
    if text not in EXECUTORS:
        raise SettingError(
            EXECUTOR_ENV, text, f"expected one of {', '.join(EXECUTORS)}", _unset_fix(EXECUTOR_ENV)
        )
    return text


def accepted_partial(values: Iterable[str | None], setting: str = "--accept-partial") -> set[str]:
    """Observation keys (``account:YYYY-MM-DD``) accepted deliberately, separated by commas or
    spaces; a key that is not one is refused, naming ``setting``."""
    keys = set()
    for value in values:
        for key in re.split(r"[,\s]+", value or ""):
            if not key:
                continue
            account, _, day = key.rpartition(":")
            try:
                valid = bool(_ACCOUNT.match(account)) and dt.date.fromisoformat(day) is not None
            except ValueError:
                valid = False
            if not valid or len(day) != 10:
                raise SettingError(
                    setting,
                    key,
                    "expected ACCOUNT:YYYY-MM-DD, an account (its inbox folder, or me) and the "
                    "date of the observation the partial-export gate blocked, such as "
                    "me:2026-11-20",
                    "Copy the key from the message that said the export was blocked.",
                )
            keys.add(key)
    return keys


def accepted_from_environment(env: Mapping[str, str] | None = None) -> set[str]:
    return accepted_partial([_env(ACCEPT_ENV, env)], ACCEPT_ENV)


def home_root(explicit: str | os.PathLike | None = None, env=None) -> tuple[Path, str]:
    """The home folder, and the setting that chose it: ``--home``, else ``LNW_HOME``, else
    ``./data``."""
    if explicit:
        return Path(explicit).expanduser().resolve(), "--home"
    if _env(HOME_ENV, env):
        return Path(_env(HOME_ENV, env)).expanduser().resolve(), HOME_ENV
    return Path(DEFAULT_HOME).resolve(), "the default home ./data"


def existing_home(explicit: str | os.PathLike | None = None, env=None) -> Path:
    """The home, which must exist: only `lnw demo` and `lnw init` make one, so that a typo'd
    path is not silently a new, empty home."""
    root, chosen_by = home_root(explicit, env)
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise SettingError(
            chosen_by if chosen_by.startswith(("-", "LNW")) else "home",
            str(root),
            f"the home folder {what}",
            f"Check the path, or make a new home with `lnw init {root}` (or `lnw demo`).",
        )
    return root


def icp_choice(explicit: str | os.PathLike | None = None, env=None) -> tuple[Path | None, str]:
    """The ICP file chosen by ``--icp`` or ``LNW_ICP`` (None when neither is set)."""
    if explicit:
        return Path(explicit).expanduser().resolve(), "--icp"
    if _env(ICP_ENV, env):
        return Path(_env(ICP_ENV, env)).expanduser().resolve(), ICP_ENV
    return None, ""


def read_icp(path: Path, setting: str = "ICP file"):
    """The ideal customer profile in ``path``, validated; any problem is a SettingError."""
    import yaml

    from transforms.relevance import IdealCustomerProfile

    fix = "Fix the file (docs: README, section ICP), or choose another with --icp or LNW_ICP."
    try:
        text = path.read_text()
    except OSError as exc:
        raise SettingError(
            setting, str(path), f"the file cannot be read ({exc.strerror})", fix
        ) from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SettingError(setting, str(path), f"the file is not valid YAML{where}", fix) from None
    if not isinstance(data, dict):
        raise SettingError(setting, str(path), "expected a YAML mapping of keys to lists", fix)
    try:
        return IdealCustomerProfile.from_mapping(data, source=str(path))
    except ValueError as exc:
        problem = str(exc).removeprefix(f"{path}: ")
        raise SettingError(setting, str(path), problem, fix) from None


def check_environment(env: Mapping[str, str] | None = None) -> None:
    """Every ``LNW_*`` variable that has a value, checked; the first bad one raises."""
    max_file_bytes(env)
    carry_days(env)
    weekly_invitations(env)
    stale_invitation_days(env)
    sensor_interval(env)
    max_loss(env=env)
    refresh_cron(env)
    executor(env)
    accepted_from_environment(env)
    path, chosen_by = icp_choice(None, env)
    if path is not None:
        read_icp(path, chosen_by)


def exit_on_bad_environment(env: Mapping[str, str] | None = None) -> None:
    """For the Dagster definitions (webserver, daemon, `dagster definitions validate`,
    `dg check defs`): a bad setting is its sentence on stderr and exit code 1, not the
    traceback of a failed import."""
    try:
        check_environment(env)
    except SettingError as exc:
        print(f"lnw: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def owner_only() -> None:
    """Make everything this process creates readable by its owner alone (folders 0700,
    files 0600) whatever the umask it was started with: the home holds personal data of
    people who never agreed to be in it. Child processes (Dagster's step and code servers)
    inherit the mask."""
    os.umask(0o077)


def trace_file(name: str) -> str:
    """A benchmark or crash-test hook (``LNW_LOCK_TRACE``, ``LNW_CRASH_TRACE``): a path or ''."""
    return _env(name)
