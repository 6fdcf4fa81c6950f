"""Perturbing a replay process so hidden non-determinism shows.

The parent builds the child's environment with :func:`perturbed_environment` (a different
``PYTHONHASHSEED`` and ``TZ``, every non-essential environment variable changed, and the
settings below); the child calls :func:`apply_from_environment` before importing user code:
``datetime.now()``/``utcnow()``/``today()``, ``date.today()`` and ``time.time()`` (and the
functions that default to it) are shifted by an offset, and ``random`` is seeded differently.
``uuid.uuid4()`` draws from ``os.urandom`` and differs in every process anyway; ``uuid1()``
follows the shifted clock.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import random
import sys
import sysconfig
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, SupportsIndex

CLOCK_OFFSET_VAR = "WFCHECK_PERTURB_CLOCK_OFFSET"
SEED_VAR = "WFCHECK_PERTURB_SEED"
MARKER_VAR = "WFCHECK_PERTURBED"

# Variables a Python process needs to start and find its packages; everything else changes.
_ESSENTIAL = frozenset(
    {
        "PATH",
        "PYTHONPATH",
        "PYTHONHOME",
        "VIRTUAL_ENV",
        "HOME",
        "USERPROFILE",
        "TMPDIR",
        "TEMP",
        "TMP",
        "LD_LIBRARY_PATH",
        "DYLD_LIBRARY_PATH",
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "COMSPEC",
        "WINDIR",
        "PATHEXT",
        "LANG",
        "LANGUAGE",
        "PWD",
        "SHELL",
        "TERM",
    }
)
_ESSENTIAL_PREFIXES = ("LC_", "PYTHON", "WFCHECK_", "PYTEST", "COV_", "__")
_ZONES = ("Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kolkata", "Europe/Berlin", "Pacific/Pago_Pago")


def perturbed_environment(
    base: Mapping[str, str], run: int, seed: int, unset_read: Iterable[str] = ()
) -> dict[str, str]:
    """The environment for perturbed replay number ``run`` (1-based). ``unset_read`` are
    variables the recorded run read while they were unset: they are set here."""
    rng = random.Random(seed * 7919 + run)
    env: dict[str, str] = {}
    for key, value in base.items():
        if key in _ESSENTIAL or key.startswith(_ESSENTIAL_PREFIXES):
            env[key] = value
        else:
            env[key] = f"{value}~perturbed{run}"
    for key in unset_read:
        if key not in base and not key.startswith(_ESSENTIAL_PREFIXES) and key not in _ESSENTIAL:
            env[key] = f"wfcheck-perturbed{run}"
    days = rng.randint(1, 400)
    env[CLOCK_OFFSET_VAR] = str(days * 86400 + rng.randint(1, 86399) + rng.random())
    env[SEED_VAR] = str(rng.randint(1, 2**31 - 1))
    env["PYTHONHASHSEED"] = str(rng.randint(1, 2**32 - 1))
    env["TZ"] = _ZONES[(run + seed) % len(_ZONES)]
    env[MARKER_VAR] = str(run)
    return env


_STDLIB_DIRS = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib")})
_PACKAGE_DIRS = tuple({sysconfig.get_paths()[k] for k in ("purelib", "platlib")}) + (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # wfcheck itself
)


def _read_by_user_code() -> bool:
    """Whether the nearest caller outside the standard library is user code (an SDK
    reading its own settings is not perturbed)."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        in_stdlib = filename.startswith("<") or (
            filename.startswith(_STDLIB_DIRS) and not filename.startswith(_PACKAGE_DIRS)
        )
        if not in_stdlib:
            return not filename.startswith(_PACKAGE_DIRS) and "site-packages" not in filename
        frame = frame.f_back
    return False


@contextlib.contextmanager
def unset_reads() -> Iterator[set[str]]:
    """Collect the names of environment variables read (``os.environ[...]``, ``.get``,
    ``in``, ``os.getenv``) while they are unset."""
    names: set[str] = set()
    environ_class = type(os.environ)
    real_getitem = environ_class.__getitem__

    def getitem(self: Any, key: Any) -> Any:
        try:
            return real_getitem(self, key)
        except KeyError:  # `in`, .get() and os.getenv() come here too
            if self is os.environ and isinstance(key, str) and _read_by_user_code():
                names.add(key)
            raise

    environ_class.__getitem__ = getitem  # type: ignore[method-assign]
    try:
        yield names
    finally:
        environ_class.__getitem__ = real_getitem  # type: ignore[method-assign]


def describe(env: Mapping[str, str], base: Mapping[str, str]) -> str:
    offset = float(env.get(CLOCK_OFFSET_VAR, "0"))
    changed = sum(1 for k, v in env.items() if base.get(k) != v)
    return (
        f"clock +{offset / 86400:.1f}d, random seed {env.get(SEED_VAR)},"
        f" PYTHONHASHSEED {env.get('PYTHONHASHSEED')}, TZ {env.get('TZ')},"
        f" {changed} environment variables changed"
    )


def apply_from_environment() -> None:
    """In a replay child: shift the wall clock and reseed ``random`` as the parent asked."""
    offset = float(os.environ.get(CLOCK_OFFSET_VAR, "0") or 0)
    if hasattr(time, "tzset"):
        time.tzset()
    if offset:
        _shift_clock(offset)
    seed = os.environ.get(SEED_VAR)
    if seed:
        random.seed(int(seed))


def _shift_clock(offset: float) -> None:
    delta = _dt.timedelta(seconds=offset)
    real_time, real_time_ns = time.time, time.time_ns
    real_localtime, real_gmtime, real_ctime = time.localtime, time.gmtime, time.ctime

    def shifted_time() -> float:
        return real_time() + offset

    def shifted_time_ns() -> int:
        return real_time_ns() + int(offset * 1e9)

    def localtime(secs: float | SupportsIndex | None = None) -> time.struct_time:
        return real_localtime(shifted_time() if secs is None else secs)

    def gmtime(secs: float | SupportsIndex | None = None) -> time.struct_time:
        return real_gmtime(shifted_time() if secs is None else secs)

    def ctime(secs: float | SupportsIndex | None = None) -> str:
        return real_ctime(shifted_time() if secs is None else secs)

    time.time, time.time_ns = shifted_time, shifted_time_ns
    time.localtime, time.gmtime, time.ctime = localtime, gmtime, ctime

    # The real class, kept for the calls below (the module attributes are swapped next).
    base_datetime = _dt.datetime

    class _AcceptsBase(type):
        # values made before the swap (or by C code) are still "datetimes" to user code
        def __instancecheck__(cls, obj: object) -> bool:
            return isinstance(obj, cls.__mro__[1])

    # The stand-ins return real datetimes and dates (the metaclass makes them pass isinstance
    # checks against the stand-ins), hence the narrower-than-declared return types.
    class datetime(_dt.datetime, metaclass=_AcceptsBase):  # noqa: N801 - stands in for datetime.datetime
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> _dt.datetime:  # type: ignore[override]
            return base_datetime.now(tz) + delta

        @classmethod
        def utcnow(cls) -> _dt.datetime:  # type: ignore[override]
            return base_datetime.now(_dt.timezone.utc).replace(tzinfo=None) + delta

        @classmethod
        def today(cls) -> _dt.datetime:  # type: ignore[override]
            return base_datetime.now() + delta

    class date(_dt.date, metaclass=_AcceptsBase):  # noqa: N801 - stands in for datetime.date
        @classmethod
        def today(cls) -> _dt.date:  # type: ignore[override]
            return (base_datetime.now() + delta).date()

    datetime.__module__ = date.__module__ = "datetime"
    _dt.datetime, _dt.date = datetime, date  # type: ignore[misc]
