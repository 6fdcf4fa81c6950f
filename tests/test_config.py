"""Configuration files and their keys, through the command line as users meet them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import libcst as cst
import pytest
from helpers import cli_runner

from wfcheck.cli import main
from wfcheck.config import Options, find_config, read_config, resolve
from wfcheck.engine import make_project

FLAGGED = '''\
import time
import uuid
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    key = uuid.uuid4()
    yield ctx.call_activity("hello", input=(started, key))
'''


def invoke(*args: str, input: bytes | None = None):
    return cli_runner().invoke(main, list(args), input=input)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def codes(*args: str, input: bytes | None = None):
    """(exit code, [(file name, line, code)]) of a JSON run."""
    result = invoke("check", "--output-format", "json", *args, input=input)
    assert result.exit_code in (0, 1), result.output
    found = json.loads(result.stdout)
    return result.exit_code, sorted(
        (Path(d["filename"]).name, d["location"]["row"], d["code"]) for d in found
    )


# -- finding the file ------------------------------------------------------------------------


def test_pyproject_table_is_found_walking_up(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.wfcheck]\nselect = ["WF1"]\n', "pkg/sub/wf.py": FLAGGED})
    assert codes(str(tmp_path / "pkg" / "sub" / "wf.py"))[1] == [("wf.py", 6, "WF101")]


def test_nearest_file_wins_and_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "wfcheck.toml": 'select = ["WF1"]\n',
            "inner/pyproject.toml": "[project]\nname = 'x'\n",
            "inner/wf.py": FLAGGED,
            "other/.wfcheck.toml": 'select = ["WF2"]\n',
            "other/wfcheck.toml": 'select = ["WF1"]\n',
            "other/wf.py": FLAGGED,
        },
    )
    assert find_config(tmp_path / "inner" / "wf.py") == tmp_path / "wfcheck.toml"
    assert find_config(tmp_path / "other") == tmp_path / "other" / ".wfcheck.toml"
    # One run, two configurations: each path gets its own.
    _, found = codes(str(tmp_path / "inner" / "wf.py"), str(tmp_path / "other" / "wf.py"))
    assert found == [("wf.py", 6, "WF101"), ("wf.py", 7, "WF202")]


def test_config_option_and_isolated(tmp_path: Path) -> None:
    write(
        tmp_path, {"wfcheck.toml": 'select = ["WF1"]\n', "alt.toml": 'select = ["WF2"]\n', "wf.py": FLAGGED}
    )
    target = str(tmp_path / "wf.py")
    assert codes("--config", str(tmp_path / "alt.toml"), target)[1] == [("wf.py", 7, "WF202")]
    assert codes("--isolated", target)[1] == [("wf.py", 6, "WF101"), ("wf.py", 7, "WF202")]


# -- rule selection --------------------------------------------------------------------------


def test_select_extend_select_ignore_and_cli_precedence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "wfcheck.toml": 'ignore = ["WF101"]\nextend-select = ["WF701"]\n',
            "wf.py": FLAGGED + "    print(started)\n",
        },
    )
    target = str(tmp_path / "wf.py")
    assert codes(target)[1] == [("wf.py", 7, "WF202"), ("wf.py", 9, "WF701")]
    # The command line is a later layer: its --select replaces, its selectors beat the file's.
    assert codes("--select", "WF101", target)[1] == [("wf.py", 6, "WF101")]
    assert codes("--extend-select", "WF101", target)[1] == [
        ("wf.py", 6, "WF101"), ("wf.py", 7, "WF202"), ("wf.py", 9, "WF701"),
    ]
    assert codes("--ignore", "WF7", target)[1] == [("wf.py", 7, "WF202")]


def test_per_file_ignores_from_file_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.wfcheck.per-file-ignores]\n"legacy/*.py" = ["WF1"]\n"__init__.py" = ["WF202"]\n'
            ),
            "legacy/wf.py": FLAGGED,
            "pkg/__init__.py": FLAGGED,
            "new/wf.py": FLAGGED,
        },
    )
    _, found = codes(str(tmp_path))
    assert found == [
        ("__init__.py", 6, "WF101"),
        ("wf.py", 6, "WF101"),  # new/
        ("wf.py", 7, "WF202"),  # legacy/
        ("wf.py", 7, "WF202"),  # new/
    ]
    # The command line's table replaces the file's (patterns relative to the working directory).
    monkeypatch.chdir(tmp_path)
    result = invoke(
        "check", "--output-format", "concise", "--per-file-ignores", "new/*.py:WF2", "new", "legacy"
    )
    found = sorted(line.split(": ")[1].split()[0] for line in result.stdout.splitlines())
    assert found == ["WF101", "WF101", "WF202"]


# -- which files ------------------------------------------------------------------------------


def test_exclude_extend_exclude_and_force_exclude(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "wfcheck.toml": 'exclude = ["generated/"]\nextend-exclude = ["*_pb2.py"]\n',
            "generated/wf.py": FLAGGED,
            "api_pb2.py": FLAGGED,
            "kept.py": FLAGGED,
        },
    )
    assert {name for name, _, _ in codes(str(tmp_path))[1]} == {"kept.py"}
    named = str(tmp_path / "generated" / "wf.py")
    # A file named on the command line is checked anyway, unless --force-exclude.
    assert codes(named)[0] == 1
    assert codes("--force-exclude", named) == (0, [])
    write(tmp_path, {"wfcheck.toml": 'exclude = ["generated/"]\nforce-exclude = true\n'})
    assert codes(named) == (0, [])
    assert codes("--no-force-exclude", named)[0] == 1
    assert codes("--extend-exclude", "kept.py", str(tmp_path))[1] == [
        ("api_pb2.py", 6, "WF101"),
        ("api_pb2.py", 7, "WF202"),
    ]


def test_src_adds_import_roots(tmp_path: Path) -> None:
    workflow = (
        "from durabletask import task\nfrom stamps import stamp\n\n"
        "def orch(ctx: task.OrchestrationContext, _):\n"
        "    yield ctx.call_activity('hello', input=stamp())\n"
    )
    stamps = "import time\n\ndef stamp():\n    return time.time()\n"
    write(tmp_path, {"app/wf.py": workflow, "lib/stamps.py": stamps})
    target = str(tmp_path / "app" / "wf.py")
    assert codes("--isolated", target) == (0, [])
    write(tmp_path, {"wfcheck.toml": 'src = ["lib"]\n'})
    assert codes(target)[1] == [("wf.py", 5, "WF604")]


# -- engines ----------------------------------------------------------------------------------


TEMPORAL = '''\
import time
from temporalio import workflow

@workflow.defn
class Greeter:
    @workflow.run
    async def run(self) -> float:
        return time.time()
'''


def test_frameworks_restricts_detection(tmp_path: Path) -> None:
    config = 'frameworks = ["temporal"]\nselect = ["WF101"]\n'
    write(tmp_path, {"wfcheck.toml": config, "dt.py": FLAGGED, "tp.py": TEMPORAL})
    assert codes(str(tmp_path))[1] == [("tp.py", 8, "WF101")]
    write(tmp_path, {"wfcheck.toml": 'frameworks = "auto"\nselect = ["WF101"]\n'})
    assert codes(str(tmp_path))[1] == [("dt.py", 6, "WF101"), ("tp.py", 8, "WF101")]


def test_each_project_index_applies_its_own_settings_engines(tmp_path: Path) -> None:
    # The engines travel with the settings into the project index, not through state shared
    # by the process: two indexes used in turn each keep their own.
    write(tmp_path, {"only/wfcheck.toml": 'frameworks = ["temporal"]\n', "all/wfcheck.toml": ""})
    for name in ("only", "all"):
        write(tmp_path, {f"{name}/dt.py": FLAGGED, f"{name}/tp.py": TEMPORAL})
    groups = resolve([str(tmp_path / "only"), str(tmp_path / "all")], Options())
    assert [[s.name for s in settings.specs] for settings, _ in groups] == [
        ["temporal"],
        ["dapr", "durabletask", "azure", "temporal"],
    ]
    projects = [make_project(paths, settings) for settings, paths in groups]
    found = []
    for ((_, (directory,)), project), file in itertools.product(
        zip(groups, projects), ("dt.py", "tp.py")
    ):
        text = (Path(directory) / file).read_text()
        facts = project.facts_for(Path(directory) / file, file, text, cst.parse_module(text))
        found.append((Path(directory).name, file, [u.framework.name for u in facts.units]))
    assert found == [
        ("only", "dt.py", []),
        ("only", "tp.py", ["temporal"]),
        ("all", "dt.py", ["durabletask"]),
        ("all", "tp.py", ["temporal"]),
    ]


IN_HOUSE = '''\
import time
from acme.durable import orchestration, step, Ctx

@orchestration
def process(state, order):
    return time.time()

@step
def charge(ctx, order):
    return time.time()

def typed(ctx: Ctx, order):
    return time.time()
'''


def test_in_house_decorators_and_context_types(tmp_path: Path) -> None:
    write(tmp_path, {"wf.py": IN_HOUSE})
    target = str(tmp_path / "wf.py")
    assert codes("--isolated", target) == (0, [])
    write(
        tmp_path,
        {
            "wfcheck.toml": (
                '[workflow-decorators]\n"acme.durable.orchestration" = "dapr"\n'
                '[activity-decorators]\n"acme.durable.step" = "dapr"\n'
                '[workflow-context-types]\n"acme.durable.Ctx" = "dapr"\n'
            )
        },
    )
    assert codes(target)[1] == [("wf.py", 6, "WF101"), ("wf.py", 13, "WF101")]
    # The list form works when the configuration names exactly one engine.
    config = 'frameworks = ["durabletask"]\nworkflow-decorators = ["acme.durable.orchestration"]\n'
    write(tmp_path, {"wfcheck.toml": config})
    result = invoke("check", "--output-format", "json", target)
    assert [d["framework"] for d in json.loads(result.stdout)] == ["durabletask"]


# -- banned and allowed APIs -----------------------------------------------------------------

BANNED = '''\
from durabletask import task
from acme import clock, ids
import time

def orch(ctx: task.OrchestrationContext, _):
    a = clock.now()
    b = ids.new_id()
    c = time.time()
    yield ctx.call_activity("hello", input=(a, b, c))
'''


def test_banned_api_new_and_existing_codes_with_messages(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "wf.py": BANNED,
            "wfcheck.toml": (
                '[banned-api]\n'
                '"acme.clock.now" = { code = "WF101", message = "use acme.clock.workflow_now(ctx)" }\n'
                '"acme.ids" = { code = "WF010" }\n'
            ),
        },
    )
    result = invoke("check", "--output-format", "json", str(tmp_path / "wf.py"))
    found = [(d["location"]["row"], d["code"], d["message"]) for d in json.loads(result.stdout)]
    assert found == [
        (6, "WF101", "`acme.clock.now` is banned: use acme.clock.workflow_now(ctx)"),
        (7, "WF010", "`acme.ids` is banned in workflow code by the project's configuration"),
        (8, "WF101", "`time.time()` reads the wall clock, which returns a different value on every replay"),
    ]
    # A new code is a rule like any other: selectable and ignorable.
    assert codes("--ignore", "WF010", str(tmp_path / "wf.py"))[1] == [
        ("wf.py", 6, "WF101"),
        ("wf.py", 8, "WF101"),
    ]


def test_allowed_api_removes_matches(tmp_path: Path) -> None:
    write(tmp_path, {"wf.py": FLAGGED, "wfcheck.toml": 'allowed-api = ["uuid.uuid4"]\n'})
    assert codes(str(tmp_path / "wf.py"))[1] == [("wf.py", 6, "WF101")]
    write(tmp_path, {"wfcheck.toml": 'allowed-api = ["time.*"]\n'})
    assert codes(str(tmp_path / "wf.py"))[1] == [("wf.py", 7, "WF202")]


def test_allowed_api_vouches_for_project_helpers(tmp_path: Path) -> None:
    """A project function named by `allowed-api` is not followed (like `# wfcheck: trusted`)."""
    helper = (
        "import uuid\n\ndef stable_id(x):\n"
        "    return str(uuid.uuid5(uuid.NAMESPACE_URL, x)) if x else str(uuid.uuid4())\n"
    )
    workflow = (
        "from durabletask import task\nfrom acme.ids import stable_id\n\n"
        "def orch(ctx: task.OrchestrationContext, inp):\n"
        "    key = stable_id(inp['order'])\n    yield ctx.call_activity('charge', input=key)\n"
    )
    write(tmp_path, {"acme/__init__.py": "", "acme/ids.py": helper, "wf.py": workflow,
                     "pyproject.toml": "[project]\nname = 'x'\n"})
    assert codes(str(tmp_path / "wf.py"))[1] == [("wf.py", 5, "WF604")]
    for allowed in ("acme.ids.stable_id", "acme.ids.*"):
        write(tmp_path, {"pyproject.toml": f"[tool.wfcheck]\nallowed-api = [{allowed!r}]\n"})
        assert codes(str(tmp_path / "wf.py"))[1] == [], allowed


def test_unsafe_fixes_is_stored_in_settings(tmp_path: Path) -> None:
    write(tmp_path, {"wfcheck.toml": "unsafe-fixes = true\n"})
    [(settings, _)] = resolve([str(tmp_path)], Options())
    assert settings.unsafe_fixes is True
    [(settings, _)] = resolve([str(tmp_path)], Options(unsafe_fixes=False))
    assert settings.unsafe_fixes is False
    assert resolve([str(tmp_path)], Options(isolated=True))[0][0].unsafe_fixes is False


# -- stdin -----------------------------------------------------------------------------------


def test_stdin_filename_gets_its_config_and_per_file_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.wfcheck]\nexclude = ["gen/"]\n'
                '[tool.wfcheck.per-file-ignores]\n"legacy/*" = ["WF202"]\n'
            )
        },
    )
    monkeypatch.chdir(tmp_path)
    data = FLAGGED.encode()
    assert codes("--stdin-filename", "legacy/wf.py", "-", input=data)[1] == [("wf.py", 6, "WF101")]
    assert codes("--stdin-filename", "app/wf.py", "-", input=data)[1] == [
        ("wf.py", 6, "WF101"),
        ("wf.py", 7, "WF202"),
    ]
    assert codes("--stdin-filename", "gen/wf.py", "-", input=data)[0] == 1
    assert codes("--force-exclude", "--stdin-filename", "gen/wf.py", "-", input=data) == (0, [])


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ('selct = ["WF1"]\n', "unknown key `selct`"),
        ('select = ["WF777"]\n', "key `select`: unknown rule code or prefix 'WF777'"),
        ('select = "WF1"\n', "key `select`: expected a list of rule codes"),
        ('ignore = [1]\n', "key `ignore`: expected a list of rule codes"),
        ('frameworks = ["flask"]\n', "key `frameworks`: expected \"auto\" or a non-empty list"),
        ('force-exclude = "yes"\n', "key `force-exclude`: expected true or false"),
        ('[per-file-ignores]\n"a.py" = "WF1"\n', "per-file-ignores: key `a.py`: expected a list"),
        (
            '[per-file-ignores]\n"a.py" = ["WF77"]\n',
            "key `per-file-ignores`: unknown rule code or prefix 'WF77'",
        ),
        (
            '[banned-api]\n"acme.now" = { code = "WF601" }\n',
            "`banned-api.\"acme.now\".code`: expected an API rule's code",
        ),
        ('[banned-api]\n"acme.now" = { code = "X1" }\n', "expected a rule code such as \"WF001\""),
        ('[banned-api]\n"acme.now" = { msg = "no" }\n', "expected a table with `code` and/or `message`"),
        ('[banned-api]\n"acme now" = { code = "WF001" }\n', "expected qualified names"),
        ('workflow-decorators = ["acme.wf"]\n', "a plain list needs `frameworks` to name exactly one engine"),
        (
            '[workflow-decorators]\n"acme.wf" = "flask"\n',
            "key `workflow-decorators.acme.wf`: expected one of dapr",
        ),
        ('unsafe-fixes = 1\n', "key `unsafe-fixes`: expected true or false"),
        ("select = [\n", "not valid TOML"),
        ('exclude = ["[z-a]"]\n', "key `exclude`: invalid glob pattern '[z-a]'"),
        ('[per-file-ignores]\n"!" = ["WF1"]\n', "per-file-ignores: invalid glob pattern '!'"),
    ],
)
def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, {"wfcheck.toml": text, "wf.py": FLAGGED})
    result = invoke("check", str(tmp_path / "wf.py"))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(tmp_path / "wfcheck.toml") in result.output
    assert expected in result.output


def test_bad_pyproject_table_names_the_table(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.wfcheck]\nexclude = "x"\n', "wf.py": FLAGGED})
    result = invoke("check", str(tmp_path / "wf.py"))
    assert result.exit_code == 2
    expected = "[tool.wfcheck]: key `exclude`: expected a list of glob patterns"
    assert f"{tmp_path / 'pyproject.toml'}: {expected}" in result.output


def test_bad_cli_values_exit_2(tmp_path: Path) -> None:
    write(tmp_path, {"wf.py": FLAGGED})
    assert "expected GLOB:CODES" in invoke("check", "--per-file-ignores", "nocolon", str(tmp_path)).output
    assert invoke("check", "--config", str(tmp_path / "missing.toml"), str(tmp_path)).exit_code == 2
    assert invoke("check", "--extend-select", "WF778", str(tmp_path)).exit_code == 2
    for option, value in (("--extend-exclude", "\\"), ("--per-file-ignores", "!:WF1")):
        result = invoke("check", option, value, str(tmp_path))
        assert result.exit_code == 2 and f"option {option}: invalid glob pattern" in result.output


def test_read_config_parses_every_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "wfcheck.toml": (
                'select = ["wf1"]\nextend-select = ["WF701"]\nignore = ["WF102"]\nexclude = ["a/"]\n'
                'extend-exclude = ["b/"]\nforce-exclude = true\nsrc = ["lib"]\nframeworks = ["dapr"]\n'
                'allowed-api = ["acme.*"]\nunsafe-fixes = true\n'
                '[per-file-ignores]\n"t/*" = ["WF2"]\n'
                '[banned-api]\n"acme.now" = { message = "no" }\n'
            )
        },
    ) / "wfcheck.toml"
    config = read_config(path)
    assert config.select == ["WF1"] and config.extend_select == ["WF701"] and config.ignore == ["WF102"]
    assert [p for _, p in config.exclude] == ["a/", "b/"] and config.force_exclude
    assert config.src == [str((tmp_path / "lib").resolve())]
    assert config.frameworks == ["dapr"] and config.allowed == ["acme.*"] and config.unsafe_fixes
    assert [(p, c) for _, p, c in config.per_file_ignores] == [("t/*", ("WF2",))]
    assert config.banned == {"acme.now": ("WF001", "no")}


def test_a_nested_configuration_applies_to_the_files_below_it(tmp_path: Path) -> None:
    """As in ruff, each file is checked with its nearest configuration, also when it is met
    walking a parent directory; and it is checked once."""
    write(tmp_path, {
        "wfcheck.toml": 'ignore = ["WF202"]\n',
        "wf.py": FLAGGED,
        "team/wfcheck.toml": 'ignore = ["WF101"]\n',
        "team/wf.py": FLAGGED,
        "team/deeper/pyproject.toml": '[tool.wfcheck]\nselect = ["WF2"]\n',
        "team/deeper/wf.py": FLAGGED,
        "team/plain/pyproject.toml": "[project]\nname = 'x'\n",  # no table: not a configuration
        "team/plain/wf.py": FLAGGED,
    })
    result = invoke("check", "--output-format", "json", str(tmp_path))
    found = sorted(
        (str(Path(d["filename"]).relative_to(tmp_path)), d["code"]) for d in json.loads(result.stdout)
    )
    assert found == [
        ("team/deeper/wf.py", "WF202"),
        ("team/plain/wf.py", "WF202"),
        ("team/wf.py", "WF202"),
        ("wf.py", "WF101"),
    ]
    concise = invoke("check", "--output-format", "concise", str(tmp_path))
    assert "(4 files checked)" in concise.stderr


# -- what a new user trips on ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pyproject",
    [
        '[project]\nname = "x"\n\n[tool.wfcheck]\nselect = ["WF1",\n',
        '[tool.wfcheck.per-file-ignores]\n"a.py" = ["WF1"\n',
        '[project]\nname = "x"\ntool.wfcheck.select = ["WF1"\n',
    ],
)
def test_a_broken_pyproject_that_configures_wfcheck_exits_2(tmp_path: Path, pyproject: str) -> None:
    files = {"wfcheck.toml": 'select = ["WF2"]\n', "proj/pyproject.toml": pyproject, "proj/wf.py": FLAGGED}
    write(tmp_path, files)
    result = invoke("check", str(tmp_path / "proj"))
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'proj' / 'pyproject.toml'}: not valid TOML" in result.stderr


def test_a_broken_pyproject_that_does_not_configure_wfcheck_is_not_ours(tmp_path: Path) -> None:
    # Someone else's broken file: the configuration above still applies.
    write(
        tmp_path,
        {
            "wfcheck.toml": 'select = ["WF2"]\n',
            "proj/pyproject.toml": '[project]\nname = "x"\ndependencies = ["wfcheck"\n',
            "proj/wf.py": FLAGGED,
        },
    )
    assert codes(str(tmp_path / "proj")) == (1, [("wf.py", 7, "WF202")])


HELPER_WORKFLOW = '''\
import time


def process(ctx, order):
    started = time.time()
    yield ctx.call_activity("charge", input=started)
'''


def test_naming_the_engine_keeps_the_signature_fallback_and_drops_the_guess(tmp_path: Path) -> None:
    # An orchestrator in a module that imports no engine (registered elsewhere) is found by
    # its signature; naming the engine makes that engine's messages and fixes apply.
    write(tmp_path, {"orch.py": HELPER_WORKFLOW})

    def finding() -> dict:
        result = invoke("check", "--no-cache", "--output-format", "json", str(tmp_path))
        (found,) = json.loads(result.stdout)
        return found

    guessed = finding()
    assert (guessed["code"], guessed["framework"]) == ("WF101", "durabletask")
    assert guessed["fix"]["applicability"] == "display-only"
    assert "imports no engine" in guessed["fix"]["message"]
    write(tmp_path, {"wfcheck.toml": 'frameworks = ["dapr"]\n'})
    named = finding()
    assert (named["code"], named["framework"]) == ("WF101", "dapr")
    assert named["fix"]["applicability"] == "safe"
    assert named["fix"]["edits"][0]["content"].startswith("ctx.current_utc_datetime")
    # An engine without generator workflows has no signature to fall back on.
    write(tmp_path, {"wfcheck.toml": 'frameworks = ["temporal"]\n'})
    assert codes(str(tmp_path)) == (0, [])


def test_an_ignored_directory_named_explicitly_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    write(
        tmp_path,
        {
            ".gitignore": "gen/\n*_pb2.py\n",
            "gen/wf.py": FLAGGED,
            "gen/sub/wf.py": FLAGGED,
            "gen/api_pb2.py": FLAGGED,
            "app/wf.py": FLAGGED,
        },
    )
    # Walking the project: the ignored directory is skipped.
    assert {(Path(*Path(f).parts[-2:])) for f in _files(str(tmp_path))} == {Path("app/wf.py")}
    # Named, it is checked; the other patterns (`*_pb2.py`) still hold inside it.
    expected = {str(tmp_path / "gen" / "wf.py"), str(tmp_path / "gen" / "sub" / "wf.py")}
    assert set(_files(str(tmp_path / "gen"))) == expected
    monkeypatch.chdir(tmp_path / "gen")
    assert set(_files(".")) == {"wf.py", str(Path("sub/wf.py"))}


def test_an_excluded_directory_named_explicitly_is_checked_unless_force_exclude(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "wfcheck.toml": 'exclude = ["generated/", "*_pb2.py"]\n',
            "generated/wf.py": FLAGGED,
            "generated/api_pb2.py": FLAGGED,
            "kept.py": FLAGGED,
        },
    )
    assert {name for name, _, _ in codes(str(tmp_path))[1]} == {"kept.py"}
    named = str(tmp_path / "generated")
    assert codes(named) == (1, [("wf.py", 6, "WF101"), ("wf.py", 7, "WF202")])
    assert codes("--force-exclude", named) == (0, [])


def _files(path: str) -> list[str]:
    """The files one checked path stands for, as a run finds them (its configuration's
    excludes and the .gitignore files applied)."""
    from wfcheck.engine import files_to_check

    ((settings, members),) = resolve([path], Options())
    return files_to_check(members, settings)


def test_a_table_header_in_wfcheck_toml_says_to_drop_it(tmp_path: Path) -> None:
    write(tmp_path, {"wfcheck.toml": '[tool.wfcheck]\nselect = ["WF1"]\n', "wf.py": FLAGGED})
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2
    assert "unknown key" not in result.stderr
    assert "drop the `[tool.wfcheck]` line" in result.stderr


def test_config_and_isolated_together_are_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, {"alt.toml": 'select = ["WF2"]\n', "wf.py": FLAGGED})
    result = invoke("check", "--isolated", "--config", str(tmp_path / "alt.toml"), str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == "wfcheck: error: options --config and --isolated cannot be used together\n"


def test_a_banned_project_helper_is_reported_once(tmp_path: Path) -> None:
    # `acme.clock.now` is banned and is also a project function that reads the clock: one
    # finding at the call (the ban), not a second WF604 for the same call.
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "acme/__init__.py": "",
            "acme/clock.py": "import time\n\n\ndef now():\n    return time.time()\n",
            "wf.py": (
                "from durabletask import task\n\nfrom acme import clock\n\n\n"
                "def orch(ctx: task.OrchestrationContext, _):\n"
                "    started = clock.now()\n"
                "    yield ctx.call_activity('hello', input=started)\n"
            ),
            "wfcheck.toml": '[banned-api]\n"acme.clock.now" = { code = "WF101" }\n',
        },
    )
    assert codes("--no-cache", str(tmp_path / "wf.py")) == (1, [("wf.py", 7, "WF101")])
    # Not banned, the helper is still followed.
    write(tmp_path, {"wfcheck.toml": 'select = ["WF"]\n'})
    assert codes("--no-cache", str(tmp_path / "wf.py")) == (1, [("wf.py", 7, "WF604")])
