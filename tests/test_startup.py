"""Start-up stays light: each heavy import happens only on the path that needs it.

LibCST (the heaviest, ~0.3 s CPU) is imported only once a file has to be parsed: `--version`, a
file the prefilter drops, a tree the prefilter empties and `--fix` on such a tree never import
it. The same holds for the lighter ones a clean run used to pay for: the application itself on
`--version`, pathspec (only with a `.gitignore` or an exclude pattern to match), the fixes
(only with `--fix`/`--diff`), the reporters other than the chosen one (JUnit's `xml.etree`,
SARIF's rule documentation) and the TOML parser for the shipped catalog once its parsed
tables are kept. (The costs themselves are measured by bench/startup_bench.py, not asserted
here.)"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wfcheck

SOURCES = str(Path(wfcheck.__file__).resolve().parent.parent)

# Imported by a run that needs them, never by one that does not.
LIBCST = ("libcst", "wfcheck.analysis.project")
PATHSPEC = ("pathspec",)
FIXES = ("wfcheck.fixes.apply",)
OTHER_FORMATS = ("xml.etree.ElementTree", "wfcheck.report.junit", "wfcheck.report.sarif", "wfcheck.rule_docs")
# What `--version` does not need: the whole application.
APPLICATION = ("wfcheck.app", "wfcheck.config", "wfcheck.catalog", "wfcheck.engine", "wfcheck.cache")
HEAVY = LIBCST + PATHSPEC + FIXES + OTHER_FORMATS + APPLICATION
# What a clean check does not need (it runs the application, and reports in the `full` format).
NOT_FOR_A_CLEAN_CHECK = LIBCST + PATHSPEC + FIXES + OTHER_FORMATS

# Runs the command line in a fresh interpreter and prints, as JSON, its exit code and which of
# the HEAVY modules ended up imported.
PROBE = """
import json, sys
from wfcheck.cli import main
candidates = json.loads(sys.argv.pop())
sys.argv = ["wfcheck", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = sorted(name for name in candidates if name in sys.modules)
print("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}))
"""

CLEAN = "import os\n\n\ndef total(values):\n    return sum(values) + len(os.sep)\n"
WORKFLOW = """\
import datetime

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="w")
def w(ctx: wf.DaprWorkflowContext, x: int):
    now = datetime.datetime.now()
    yield ctx.create_timer(now)
"""


def _probe(cwd: Path, *args: str) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SOURCES, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args, json.dumps(HEAVY)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )
    assert "PROBE " in done.stdout, done.stderr
    result: dict[str, object] = json.loads(done.stdout.rsplit("PROBE ", 1)[1])
    return result


def _imported(result: dict[str, object], names: tuple[str, ...]) -> list[str]:
    heavy = result["heavy"]
    assert isinstance(heavy, list)
    return [name for name in names if name in heavy]


def _clean_tree(root: Path) -> None:
    (root / "clean.py").write_text(CLEAN)
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for number in range(3):
        (package / f"m{number}.py").write_text(CLEAN)


def test_version_imports_nothing_heavy(tmp_path: Path) -> None:
    # Not even the application: only click and the package's version.
    assert _probe(tmp_path, "--version") == {"code": 0, "heavy": []}


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
def test_checking_files_the_prefilter_drops_imports_nothing_heavy(
    tmp_path: Path, cache: list[str]
) -> None:
    _clean_tree(tmp_path)
    for target in ("clean.py", "."):
        result = _probe(tmp_path, "check", *cache, target)
        assert result["code"] == 0
        assert _imported(result, NOT_FOR_A_CLEAN_CHECK) == []


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_fixing_a_tree_without_workflow_code_does_not_import_libcst(
    tmp_path: Path, mode: str
) -> None:
    _clean_tree(tmp_path)
    for target in ("clean.py", "."):
        result = _probe(tmp_path, "check", "--no-cache", mode, target)
        assert result["code"] == 0
        assert _imported(result, LIBCST + PATHSPEC + OTHER_FORMATS) == []
    assert (tmp_path / "clean.py").read_text() == CLEAN


def test_checking_workflow_code_does_import_libcst(tmp_path: Path) -> None:
    # The probe sees the import when a file is parsed (so the tests above can fail).
    (tmp_path / "app.py").write_text(WORKFLOW)
    result = _probe(tmp_path, "check", "--no-cache", "app.py")
    assert result["code"] == 1
    assert _imported(result, LIBCST) == list(LIBCST)
    result = _probe(tmp_path, "check", "--no-cache", "--fix", "app.py")
    assert _imported(result, LIBCST + FIXES) == list(LIBCST + FIXES)


def test_pathspec_is_imported_for_patterns_to_match(tmp_path: Path) -> None:
    # A `.gitignore` in the walked tree, or an exclude, has patterns to compile.
    _clean_tree(tmp_path)
    (tmp_path / ".gitignore").write_text("build/\n")
    assert _imported(_probe(tmp_path, "check", "--no-cache", "."), PATHSPEC) == list(PATHSPEC)
    (tmp_path / ".gitignore").unlink()
    result = _probe(tmp_path, "check", "--no-cache", "--force-exclude", "--exclude", "pkg", "clean.py")
    assert _imported(result, PATHSPEC) == list(PATHSPEC)


def test_only_the_chosen_format_is_imported(tmp_path: Path) -> None:
    _clean_tree(tmp_path)
    result = _probe(tmp_path, "check", "--no-cache", "--output-format", "junit", "clean.py")
    assert _imported(result, OTHER_FORMATS) == ["xml.etree.ElementTree", "wfcheck.report.junit"]
    result = _probe(tmp_path, "check", "--no-cache", "--output-format", "sarif", "clean.py")
    assert _imported(result, OTHER_FORMATS) == ["wfcheck.report.sarif", "wfcheck.rule_docs"]


def _copy_rules(target: Path) -> list[Path]:
    from wfcheck.catalog import rules_dir

    target.mkdir()
    copies = []
    for path in sorted(rules_dir().glob("*.toml")):
        copy = target / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    return copies


def _no_parsing() -> None:
    raise AssertionError("the TOML files were parsed again")


def test_the_parsed_catalog_is_kept_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wfcheck import catalog

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    paths = _copy_rules(tmp_path / "rules")
    kept = tmp_path / "rules" / "__pycache__" / "catalog.marshal"
    parsed = catalog.load_catalog_files(paths, kept)
    assert kept.is_file()
    with monkeypatch.context() as patched:
        patched.setattr(catalog, "toml_parser", _no_parsing)
        read_back = catalog.load_catalog_files(paths, kept)
    assert list(read_back) == list(parsed) and read_back.fingerprint == parsed.fingerprint
    assert (read_back.returns, read_back.handles, read_back.sandbox_passthrough) == (
        parsed.returns, parsed.handles, parsed.sandbox_passthrough,
    )
    # Another text is parsed again (and kept in place of the old one).
    paths[0].write_text(paths[0].read_text().replace("Reads the wall clock", "Reads the clock"))
    changed = catalog.load_catalog_files(paths, kept)
    assert changed.fingerprint != parsed.fingerprint
    assert changed.get("WF101").summary.startswith("Reads the clock")  # type: ignore[union-attr]
    with monkeypatch.context() as patched:
        patched.setattr(catalog, "toml_parser", _no_parsing)
        assert list(catalog.load_catalog_files(paths, kept)) == list(changed)


def test_a_kept_catalog_that_is_not_ours_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wfcheck import catalog

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    paths = _copy_rules(tmp_path / "rules")
    expected = list(catalog.load_catalog_files(paths))
    kept = tmp_path / "catalog.marshal"
    for junk in (b"", b"not marshal data", b"\x00" * 10, marshal.dumps(("x", [1]))):
        kept.write_bytes(junk)
        assert list(catalog.load_catalog_files(paths, kept)) == expected
    # Under PYTHONDONTWRITEBYTECODE nothing is written, as for bytecode.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    kept.unlink()
    catalog.load_catalog_files(paths, kept)
    assert not kept.exists()


def test_the_result_cache_keys_on_the_catalog_files(tmp_path: Path) -> None:
    # A catalog read from files stands for its rules by their digest; one extended by
    # configuration (no files of its own) by its rules.
    from wfcheck.cache import settings_key
    from wfcheck.catalog import ApiPattern, load_catalog_files
    from wfcheck.settings import Settings

    paths = _copy_rules(tmp_path / "rules")

    def key(catalog) -> str:  # type: ignore[no-untyped-def]
        return settings_key(Settings(catalog=catalog, enabled=frozenset({"WF101"})))

    first = load_catalog_files(paths)
    assert key(first) == key(load_catalog_files(paths))
    extended = first.extended({"WF101": [ApiPattern(name="acme.now")]})
    assert extended.fingerprint == ""
    assert key(extended) not in (key(first), key(first.extended({"WF101": [ApiPattern(name="acme.today")]})))
    paths[0].write_text(paths[0].read_text().replace("Reads the wall clock", "Reads the clock"))
    assert key(load_catalog_files(paths)) != key(first)
