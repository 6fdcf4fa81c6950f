"""Files in, diagnostics out: discover, prefilter, parse and analyse, cache, in parallel.

``check_source`` runs the whole pipeline on one file's bytes; ``check_paths`` runs it over
every discovered file. A cheap text scan (the prefilter) decides whether a file can hold
workflow code before anything is parsed, so LibCST is imported only when a file needs it.
Results of unchanged files come from :mod:`wfcheck.cache`; the rest are checked in a process
pool when there are enough of them, each worker with its own project index, returning plain
data. Nothing here imports or executes the code being checked.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, cast

from wfcheck.collector import file_checked, tuned_for_parsing
from wfcheck.discovery import discover_names, find_project_roots, real_path
from wfcheck.frameworks import FALLBACK_MARKERS, MARKERS

# Re-exported: callers of the engine have always found these here.
from wfcheck.results import FileResult as FileResult
from wfcheck.results import RunResult as RunResult
from wfcheck.results import split_lines as split_lines
from wfcheck.settings import ALWAYS_ON as ALWAYS_ON
from wfcheck.settings import INTERNAL_ERROR as INTERNAL_ERROR
from wfcheck.settings import REPLAY_UNSAFE_LOG as REPLAY_UNSAFE_LOG
from wfcheck.settings import SYNTAX_ERROR as SYNTAX_ERROR
from wfcheck.settings import UNUSED_SUPPRESSION as UNUSED_SUPPRESSION
from wfcheck.settings import Settings as Settings
from wfcheck.settings import default_enabled as default_enabled
from wfcheck.settings import excluded_by
from wfcheck.settings import select_codes as select_codes
from wfcheck.settings import unknown_selectors as unknown_selectors

# progress(done, total): how many of the run's files are done.
Progress = Callable[[int, int], None]

if TYPE_CHECKING:
    from wfcheck.analysis.project import Callee, ProjectIndex, Summary, Target
    from wfcheck.cache import ResultCache

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 100
# Chunks per worker: enough to even out the load when workflow files cluster, few enough that
# a worker sees whole packages.
_CHUNKS_PER_JOB = 4


@cache
def _needles(markers: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Fewer, shorter strings that every marker contains: markers sharing a prefix of at
    least four bytes (`call_activity`, `call_entity`, ...) are searched for once."""
    needles: list[bytes] = []
    for marker in sorted(set(markers)):
        if needles:
            common = cast(bytes, os.path.commonprefix([needles[-1], marker]))
            if len(common) >= 4:
                needles[-1] = common
                continue
        needles.append(marker)
    return tuple(needles)


def has_workflow_marker(data: bytes, markers: Sequence[bytes] = MARKERS) -> bool:
    """The prefilter: can this file contain workflow code at all? It must name an engine (or
    a configured wrapper's package), or yield one of the context methods the signature
    fallback recognises. A marker counts where it starts a name (`dapr.ext`,
    `ctx.call_activity`), not inside one (`LdaprLexer`)."""
    if _has_marker(data, tuple(markers)):
        return True
    return b"yield" in data and _has_marker(data, FALLBACK_MARKERS)


def _has_marker(data: bytes, markers: tuple[bytes, ...]) -> bool:
    # Each `in` is a full pass over the bytes, so the shared prefixes are searched first and
    # the markers themselves only on a hit.
    if not any(needle in data for needle in _needles(markers)):
        return False
    return any(_starts_a_name(data, marker) for marker in markers)


def _starts_a_name(data: bytes, marker: bytes) -> bool:
    start = data.find(marker)
    while start >= 0:
        # Bytes >= 0x80 belong to non-ASCII identifiers, so they continue a name too.
        if start == 0 or not _NAME_BYTES[data[start - 1]]:
            return True
        start = data.find(marker, start + 1)
    return False


_NAME_BYTES = tuple(
    chr(b).isalnum() or chr(b) == "_" or b >= 0x80 for b in range(256)
)


def make_project(paths: Sequence[str], settings: Settings) -> ProjectIndex:
    """The project index for a run: roots from the checked paths, summaries from the rules."""
    from wfcheck.analysis.checker import summarize
    from wfcheck.analysis.project import ProjectIndex

    def summarizer(target: Target) -> tuple[Summary, list[Callee]]:
        return summarize(target, settings.catalog, settings.enabled, project)

    project = ProjectIndex(
        find_project_roots(paths, settings.src),
        summarizer,
        settings.catalog.returns,
        settings.catalog.is_allowed,
        specs=settings.specs,
    )
    return project


def files_to_check(paths: Sequence[str], settings: Settings) -> list[str]:
    """The discovered files minus the excluded ones. A file named explicitly is excluded only
    with ``force_exclude``; a directory named explicitly is walked even when an exclude
    matches it (then only the other excludes hold inside it), and skipped with
    ``force_exclude``."""
    nested = tuple(d + os.sep for d in settings.nested_configs)
    files: list[str] = []
    seen: set[str] = set()
    for raw in paths:
        if not os.path.isdir(raw):
            path = str(Path(raw))
            if path not in seen and not (settings.force_exclude and settings.is_excluded(path)):
                seen.add(path)
                files.append(path)
            continue
        if settings.force_exclude and settings.is_excluded(raw, directory=True):
            continue
        inside = settings.excludes_below(raw)
        for path in discover_names([raw]):
            if path in seen or (inside and excluded_by(inside, path)):
                continue
            if nested and os.path.abspath(path).startswith(nested):
                continue
            seen.add(path)
            files.append(path)
    return files


class UnreadableFile(Exception):
    """A file to check cannot be read; the message is the one line to show."""


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file to check. Only regular files are read: a FIFO or device named
    `*.py` would block or never end."""
    try:
        # Asked before opening: opening a FIFO blocks until something writes to it.
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            # Discovery names a directory it could not list.
            with os.scandir(path):
                pass
        if not stat.S_ISREG(mode):
            raise UnreadableFile("cannot read file: not a regular file")
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(path):
            reason = "broken symbolic link"
        else:
            reason = exc.strerror or str(exc)
        what = "directory" if os.path.isdir(path) else "file"
        raise UnreadableFile(f"cannot read {what}: {reason}") from None


class FileChecker:
    """Checks files one at a time, sharing one project index built on first need (so a run
    whose files have no workflow markers never imports LibCST)."""

    def __init__(self, settings: Settings, run_paths: Sequence[str]) -> None:
        self.settings = settings
        self.run_paths = list(run_paths)
        self._project: ProjectIndex | None = None

    @property
    def project(self) -> ProjectIndex:
        if self._project is None:
            self._project = make_project(self.run_paths, self.settings)
        return self._project

    @property
    def helper_modules(self) -> int:
        return self._project.modules_parsed if self._project is not None else 0

    def check(self, path: str) -> tuple[FileResult, str | None]:
        """The result, and the hash of the bytes checked when the file was parsed."""
        data, done = self.prefilter(path)
        if done is not None:
            return done, None
        from wfcheck.analysis import diagnose
        from wfcheck.cache import digest

        assert data is not None
        result = diagnose.diagnose_source(data, path, self.settings, self.project)
        # Nothing of the file's own outlives its check, unless a helper look-up shares it;
        # helper modules beyond the kept ones are let go.
        let_go = self.project.release(real_path(path), path)
        file_checked(everything=let_go > 0)
        return result, digest(data)

    def prefilter(self, path: str) -> tuple[bytes | None, FileResult | None]:
        """The file's bytes when it is to be parsed, else its result: an unreadable file's
        error, or nothing for a file without workflow markers."""
        try:
            data = read_file(path)
        except UnreadableFile as exc:
            return None, FileResult(path, error=str(exc))
        if not has_workflow_marker(data, self.settings.markers):
            return None, FileResult(path)
        return data, None


def check_paths(
    paths: Sequence[str], settings: Settings, progress: Progress | None = None
) -> RunResult:
    """Every file under ``paths`` (minus excludes), in discovery order: unchanged ones from
    the cache, the rest checked here or in worker processes. ``progress(done, total)`` is
    called as files are done.

    A run's results hold what its report needs: each fresh result goes to the cache as it is
    made, and what it depends on (:attr:`FileResult.depends_on`) stays there, not in the run
    (on a dense project, a thousand files' worth is a megabyte)."""
    files = files_to_check(paths, settings)
    results: list[FileResult | None] = [None] * len(files)
    cache = _open_cache(paths, settings)
    # (mtime, size) of each file looked up: what a fresh result is stored under.
    stamps: list[tuple[int, int] | None] = [None] * len(files)
    todo: list[int] = []
    absolute = _absolute_paths(files) if cache is not None else []
    for index, path in enumerate(files):
        if cache is not None:
            try:
                st = os.stat(path)
            except OSError:
                pass
            else:
                stamps[index] = stamp = cache.stamp(st)
                results[index] = cache.lookup(absolute[index], path, stamp)
        if results[index] is None:
            todo.append(index)
    from_cache = len(files) - len(todo)
    done = from_cache
    if progress is not None:
        progress(done, len(files))

    def finished(number: int, result: FileResult, content_hash: str | None) -> None:
        nonlocal done
        index = todo[number]
        checked = stamps[index]
        if cache is not None and checked is not None:
            cache.store(absolute[index], checked, result, content_hash)
        results[index] = result.for_report()
        done += 1
        if progress is not None:
            progress(done, len(files))

    with tuned_for_parsing():
        helper_modules = _check_all([files[i] for i in todo], settings, paths, finished)
    if cache is not None:
        cache.save()
    return RunResult([r for r in results if r is not None], helper_modules, from_cache)


def _absolute_paths(files: list[str]) -> list[str]:
    """The cache's keys. Discovered names are already normal (no `.` or `..` inside unless
    the command line had them), so joining to the working directory is enough for those."""
    cwd = os.getcwd() + os.sep
    return [
        path if os.path.isabs(path) else cwd + path if ".." not in path else os.path.abspath(path)
        for path in files
    ]


def _open_cache(paths: Sequence[str], settings: Settings) -> ResultCache | None:
    if settings.cache_dir is None:
        return None
    from wfcheck.cache import ResultCache

    roots = find_project_roots(paths, settings.src)
    return ResultCache(
        Path(settings.cache_dir),
        settings,
        [os.getcwd()] + [str(r) for r in roots],
        effects=lambda path, data: _effect_digest(paths, settings, path, data),
    )


def _effect_digest(paths: Sequence[str], settings: Settings, path: str, data: bytes) -> str | None:
    """What the module at ``path`` exports to its dependents' analysis when it holds ``data``
    (:meth:`ProjectIndex.effect_digest`), for the cache's early cutoff. A project of its own
    for each call: two versions of one module never share facts."""
    from wfcheck.digest import content_digest

    project = make_project(paths, settings)
    real = real_path(Path(path))
    read_from_disk = project.read_source

    def read_source(candidate: Path) -> bytes:
        return data if real_path(candidate) == real else read_from_disk(candidate)

    project.read_source = read_source
    exported = project.effect_digest(path)
    if exported is None:
        return None
    # And what each of its functions' analysis read (modules found, candidates probed and
    # absent): an edit that keeps the effects but looks up another name (`str(...)`) changes
    # what a dependent's result depends on, if not the result.
    reads = sorted((repr(ref), sorted(files)) for ref, files in project.summary_reads(real).items())
    return content_digest(repr((exported, reads)).encode())


# finished(number, result, content hash): the ``number``-th file to check is done.
Finished = Callable[[int, FileResult, "str | None"], None]


def _check_all(
    files: list[str], settings: Settings, run_paths: Sequence[str], finished: Finished
) -> int:
    """Checks ``files``, in worker processes when enough of them are to be parsed, and hands
    each result to ``finished`` as it comes (in the order of ``files``, or near it); returns
    how many helper modules were parsed."""
    checker = FileChecker(settings, run_paths)
    todo: Sequence[int] = range(len(files))
    in_workers = 0
    if settings.jobs > 1 and len(files) >= PARALLEL_MIN_FILES:
        # The prefilter runs here first: only files to parse are worth a worker (a run with
        # too few of them starts none), and the others are done at once.
        todo = []
        for index, path in enumerate(files):
            _, prefiltered = checker.prefilter(path)
            if prefiltered is None:
                todo.append(index)
            else:
                finished(index, prefiltered, None)
        if len(todo) >= PARALLEL_MIN_FILES:
            in_workers, delivered = _check_in_workers(todo, files, checker, finished)
            # All of them, unless the pool broke (or never started): the rest are done here.
            todo = todo[delivered:]
    for index in todo:
        finished(index, *checker.check(files[index]))
    return in_workers + checker.helper_modules


def _check_in_workers(
    todo: list[int], files: list[str], checker: FileChecker, finished: Finished
) -> tuple[int, int]:
    """(helper modules parsed, how many of ``todo`` were handed to ``finished``): all of them,
    or those done before processes could not be started (a sandbox, a full process table) or
    the pool broke."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = _pool_context()
    if context.get_start_method() == "fork":
        # Every file here is parsed: imported once now, LibCST and the analysis are
        # inherited by the workers instead of imported by each (~0.15 s CPU apiece); frozen
        # as the rest of the heap is (see wfcheck.collector), the workers' collections
        # neither walk nor copy them.
        import gc

        import wfcheck.analysis.checker
        import wfcheck.analysis.diagnose  # noqa: F401

        gc.freeze()
    chunks = _chunks([files[i] for i in todo], checker.settings.jobs)
    helper_modules = delivered = 0
    try:
        with ProcessPoolExecutor(
            min(checker.settings.jobs, len(chunks)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(checker.settings, checker.run_paths),
        ) as pool:
            # In order: a chunk's files follow the previous chunk's in ``todo``.
            for results, count in pool.map(_check_chunk, chunks):
                for result, content_hash in results:
                    finished(todo[delivered], result, content_hash)
                    delivered += 1
                helper_modules += count
    except (OSError, BrokenProcessPool):
        pass
    return helper_modules, delivered


def _chunks(files: list[str], jobs: int) -> list[list[str]]:
    """Runs of consecutive files (discovery lists a directory's files together), about
    ``len(files) / (jobs * _CHUNKS_PER_JOB)`` each, cut where the directory changes once a
    run is long enough: the files of a package go to one worker, which parses the helper
    modules they share once, not once per worker."""
    size = -(-len(files) // (jobs * _CHUNKS_PER_JOB))
    chunks: list[list[str]] = []
    chunk: list[str] = []
    for path in files:
        if chunk and (
            len(chunk) >= 2 * size
            or (len(chunk) >= size and os.path.dirname(path) != os.path.dirname(chunk[-1]))
        ):
            chunks.append(chunk)
            chunk = []
        chunk.append(path)
    if chunk:
        chunks.append(chunk)
    return chunks


def _pool_context():
    import multiprocessing

    # Forking skips re-importing wfcheck in every worker; elsewhere it is not safe.
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


_worker: FileChecker | None = None


def _start_worker(settings: Settings, run_paths: list[str]) -> None:
    global _worker
    _worker = FileChecker(settings, run_paths)


def _check_chunk(files: list[str]) -> tuple[list[tuple[FileResult, str | None]], int]:
    assert _worker is not None
    before = _worker.helper_modules
    results = [_worker.check(path) for path in files]
    return results, _worker.helper_modules - before


def check_source(
    data: bytes, path: str, settings: Settings, project: ProjectIndex | None = None
) -> FileResult:
    if not has_workflow_marker(data, settings.markers):
        return FileResult(path)
    from wfcheck.analysis import diagnose

    return diagnose.diagnose_source(data, path, settings, project or make_project([path], settings))
