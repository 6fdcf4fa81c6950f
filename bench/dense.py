"""A seeded generator of workflow-dense projects (figures, not tests).

    python bench/dense.py OUT [--modules 200|1000|4000] [--seed 1]

Writes a project where almost every module is workflow code, the kind of tree wfcheck is
slowest on: packages of nine workflow modules and one helper module, round-robin over the four
engines (Dapr Workflows, durabletask, Azure Durable Functions, Temporal); each workflow module
is 150-300 lines with 2-5 workflows and 5-10 activities, and calls helpers imported from its
own package, other packages and a shared `common/` package (some of them impure two calls
down, so the transitive pass has work). Every workflow module also imports `common/rates.py`
(`HUB`), a small pure helper that every workflow calls: the file a cutoff bench edits, by a
comment (`HUB_COMMENT`) or by a clock read (`HUB_EFFECT`), each replacing one line by another of
the same line number. Each workflow module has a `# revision: 0` comment (`REVISION`) for the
same kind of in-place edit. The same seed and size give the same bytes. Generate into a
temporary directory: generated projects are never committed.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ENGINES = ("dapr", "durabletask", "azure", "temporal")
PACKAGE_SIZE = 10  # nine workflow modules and `helpers.py`
COMMON_MODULES = 4
COMMON_FUNCTIONS = 12
HELPER_FUNCTIONS = 10
# One helper in this many is impure (clock, randomness, environment).
IMPURE_EVERY = 7
IMPURE = (
    "time.time()",
    "random.random()",
    "float(len(os.environ.get('REGION', 'eu')))",
    "datetime.datetime.now().timestamp()",
)
FIELDS = ("id", "total", "qty", "region", "customer", "priority", "items", "currency")
# The helper module every workflow module imports, and the in-place edits a bench makes to it:
# (old line, new line) pairs, each old line occurring exactly once in the module.
HUB = "common/rates.py"
HUB_COMMENT = ("# Rates revision: 0 (tuned by hand).", "# Rates revision: 1 (tuned by hand, again).")
HUB_EFFECT = ("    drift = 0.0", "    drift = time.time() % 1.0")
# A comment line of every workflow module, for an in-place edit of one module.
REVISION = ("# revision: 0", "# revision: 1")
# The line that marks a workflow module of each engine.
ENGINE_IMPORTS = {
    "dapr": "import dapr.ext.workflow as wf",
    "durabletask": "from durabletask import task, worker",
    "azure": "import azure.durable_functions as df",
    "temporal": "from temporalio import activity, workflow",
}


def hub_module() -> str:
    """`common/rates.py`: pure until `HUB_EFFECT` is applied (``time`` is imported for it)."""
    return "\n".join([
        '"""Rates used by every workflow: a pure helper, imported all over the project."""',
        "",
        "import time",
        "",
        "from common import shared0",
        "",
        HUB_COMMENT[0],
        "",
        "",
        "def rate(score, step=1):",
        '    """The score after one more step, capped."""',
        HUB_EFFECT[0],
        "    value = shared0.c0_1(score, step) + drift",
        "    return min(int(value), 10_000)",
        "",
    ])


def common_module(index: int, rng: random.Random) -> str:
    lines = [
        f'"""Shared helpers {index}: arithmetic and formatting used across the project."""',
        "",
        "import datetime",
        "import os",
        "import random",
        "import time",
        "",
    ]
    for number in range(COMMON_FUNCTIONS):
        name = f"c{index}_{number}"
        impure = (index * COMMON_FUNCTIONS + number) % IMPURE_EVERY == 0
        offset = rng.randint(1, 99)
        lines += [
            "",
            f"def {name}(value, factor=1):",
            f'    """Scale ``value`` by ``factor`` (helper {name})."""',
            f"    result = value * factor + {offset}",
            f"    if result > {rng.randint(100, 900)}:",
            f"        result = result // {rng.randint(2, 9)}",
        ]
        if impure:
            lines.append(f"    result = result + {rng.choice(IMPURE)}")
        lines += ["    return result", ""]
    return "\n".join(lines)


def helper_module(package: int, packages: int, rng: random.Random) -> str:
    imports = sorted({rng.randrange(COMMON_MODULES) for _ in range(3)})
    lines = [
        f'"""Helpers of package {package}, used by its workflows and by other packages."""',
        "",
        "import math",
        "",
    ]
    lines += [f"from common import shared{c}" for c in imports]
    lines.append("")
    for number in range(HELPER_FUNCTIONS):
        name = f"h{package}_{number}"
        common = rng.choice(imports)
        lines += [
            "",
            f"def {name}(value, weight=2):",
            f'    """Weighted value for package {package} (helper {number})."""',
            f"    base = shared{common}.c{common}_{rng.randrange(COMMON_FUNCTIONS)}(value, weight)",
            "    if base < 0:",
            "        return 0",
            f"    return math.floor(base * {rng.randint(2, 9)} / (weight + 1))",
            "",
        ]
    return "\n".join(lines)


class Module:
    """One workflow module of one engine; ``out`` collects its lines."""

    def __init__(self, engine: str, package: int, packages: int, rng: random.Random) -> None:
        self.engine, self.package, self.rng = engine, package, rng
        self.out: list[str] = []
        # Helpers from this package and two others (cross-package imports).
        others = {package, rng.randrange(packages), rng.randrange(packages)}
        self.helpers = [(p, f"h{p}_{rng.randrange(HELPER_FUNCTIONS)}") for p in sorted(others)]
        self.helpers += [(package, f"h{package}_{rng.randrange(HELPER_FUNCTIONS)}")]
        self.helpers = sorted(set(self.helpers))

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)

    def header(self) -> None:
        self.emit(
            f'"""Generated {self.engine} workflows of package {self.package}."""',
            REVISION[0],
            "",
            "import datetime",
            "import json",
            "from datetime import timedelta",
            "",
        )
        self.emit(ENGINE_IMPORTS[self.engine], "", "from common.rates import rate")
        for package, name in self.helpers:
            self.emit(f"from pkg{package:04d}.helpers import {name}")
        self.emit("")
        if self.engine == "dapr":
            self.emit("wfr = wf.WorkflowRuntime()", "")
        elif self.engine == "azure":
            self.emit("app = df.DFApp()", "")
        self.emit(f"LIMIT = {self.rng.randint(10, 500)}", "")

    def activity(self, name: str) -> None:
        rng = self.rng
        self.emit("")
        if self.engine == "dapr":
            self.emit(f'@wfr.activity(name="{name}")')
            self.emit(f"def {name}(ctx: wf.WorkflowActivityContext, payload: dict) -> dict:")
        elif self.engine == "durabletask":
            self.emit(f"def {name}(ctx: task.ActivityContext, payload: dict) -> dict:")
        elif self.engine == "azure":
            self.emit('@app.activity_trigger(input_name="payload")')
            self.emit(f"def {name}(payload: dict) -> dict:")
        else:
            self.emit("@activity.defn")
            self.emit(f"async def {name}(payload: dict) -> dict:")
        self.emit(
            f'    """Activity {name}: may do I/O, read the clock, draw random numbers."""',
            "    stamp = datetime.datetime.now().isoformat()",
            '    total = sum(int(item.get("qty", 1)) for item in payload.get("items", []))',
            f"    if total > {rng.randint(5, 50)}:",
            '        payload["bulk"] = True',
            "    with open(__file__, encoding='utf-8') as handle:",
            "        size = len(handle.read())",
            f'    return {{"name": "{name}", "stamp": stamp, "total": total, "size": size}}',
            "",
        )

    def call(self, activity: str, argument: str) -> str:
        return {
            "dapr": f"yield ctx.call_activity({activity}, input={argument})",
            "durabletask": f"yield ctx.call_activity({activity}, input={argument})",
            "azure": f'yield context.call_activity("{activity}", {argument})',
            "temporal": (
                f"await workflow.execute_activity({activity}, {argument}, "
                "start_to_close_timeout=timedelta(seconds=30))"
            ),
        }[self.engine]

    def workflow(self, name: str, activities: list[str], mistakes: bool) -> None:
        rng = self.rng
        indent = "    "
        self.emit("")
        if self.engine == "dapr":
            self.emit(f'@wfr.workflow(name="{name}")')
            self.emit(f"def {name}(ctx: wf.DaprWorkflowContext, order: dict):")
        elif self.engine == "durabletask":
            self.emit(f"def {name}(ctx: task.OrchestrationContext, order: dict):")
        elif self.engine == "azure":
            self.emit('@app.orchestration_trigger(context_name="context")')
            self.emit(f"def {name}(context: df.DurableOrchestrationContext):")
        else:
            self.emit("@workflow.defn", f"class {name.title().replace('_', '')}:")
            self.emit("    @workflow.run", "    async def run(self, order: dict) -> dict:")
            indent = "        "
        lines = [f'"""Workflow {name}: {len(activities)} activities and some arithmetic."""']
        if self.engine == "azure":
            lines.append("order = context.get_input() or {}")
        lines += ["results = []", "score = 0"]
        for step, activity in enumerate(activities):
            field = rng.choice(FIELDS)
            package, helper = rng.choice(self.helpers)
            lines += [
                f'value{step} = {helper}(len(str(order.get("{field}", ""))), {rng.randint(1, 5)})',
                f"if value{step} > LIMIT:",
                f"    score += value{step} % {rng.randint(3, 17)}",
                "else:",
                f"    score -= {rng.randint(1, 9)}",
                f"result{step} = " + self.call(activity, f'{{"step": {step}, "score": score}}'),
                f"results.append(result{step})",
            ]
            if rng.random() < 0.3:
                lines += [
                    f'for item in order.get("items", [])[:{rng.randint(2, 6)}]:',
                    f'    score += int(item.get("qty", 0)) * {rng.randint(1, 4)}',
                ]
        if mistakes:
            lines.append(rng.choice([
                "stamp = datetime.datetime.now().isoformat()",
                "stamp = json.dumps(sorted(set(results)))",
                "stamp = str(datetime.date.today())",
            ]))
            lines.append('results.append({"stamp": stamp})')
        lines.append("score = rate(score, len(results))")
        lines.append('return {"score": score, "results": results}')
        self.emit(*(indent + line if line else "" for line in lines))
        self.emit("")

    def footer(self, workflows: list[str], activities: list[str]) -> None:
        if self.engine == "durabletask":
            self.emit("", "def register(w: worker.TaskHubGrpcWorker) -> None:")
            self.emit(*(f"    w.add_orchestrator({name})" for name in workflows))
            self.emit(*(f"    w.add_activity({name})" for name in activities))
            self.emit("")


def workflow_module(engine: str, package: int, index: int, packages: int, rng: random.Random) -> str:
    while True:
        module = Module(engine, package, packages, rng)
        module.header()
        prefix = f"p{package}m{index}"
        activities = [f"{prefix}_act{n}" for n in range(rng.randint(5, 10))]
        workflows = [f"{prefix}_flow{n}" for n in range(rng.randint(2, 5))]
        for name in activities:
            module.activity(name)
        for number, name in enumerate(workflows):
            used = rng.sample(activities, k=min(len(activities), rng.randint(3, 6)))
            module.workflow(name, used, mistakes=number % 2 == 0)
        module.footer(workflows, activities)
        text = "\n".join(module.out) + "\n"
        if 150 <= text.count("\n") <= 300:
            return text


def generate(out: Path, modules: int, seed: int = 1) -> list[Path]:
    """Writes the project below ``out`` (which must not hold one already); returns its files."""
    rng = random.Random(seed)
    packages = max(1, -(-(modules - COMMON_MODULES - 1) // PACKAGE_SIZE))
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("pyproject.toml", '[project]\nname = "dense"\nversion = "0"\n')
    write("common/__init__.py", "")
    for index in range(COMMON_MODULES):
        write(f"common/shared{index}.py", common_module(index, rng))
    write(HUB, hub_module())
    count = COMMON_MODULES + 1
    for package in range(packages):
        write(f"pkg{package:04d}/__init__.py", "")
        write(f"pkg{package:04d}/helpers.py", helper_module(package, packages, rng))
        count += 1
        for index in range(PACKAGE_SIZE - 1):
            if count >= modules:
                break
            engine = ENGINES[(package * PACKAGE_SIZE + index) % len(ENGINES)]
            write(f"pkg{package:04d}/flows{index}.py", workflow_module(engine, package, index, packages, rng))
            count += 1
    return written


def engine_of(path: Path) -> str | None:
    """The engine of a generated workflow module, None for other files."""
    text = path.read_text(encoding="utf-8")
    return next((engine for engine, line in ENGINE_IMPORTS.items() if f"\n{line}\n" in text), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--modules", type=int, default=200, help="modules in the tree (200/1000/4000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        print(f"{args.out} is not empty", file=sys.stderr)
        return 2
    files = [p for p in generate(args.out, args.modules, args.seed) if p.suffix == ".py"]
    modules = [p for p in files if p.name != "__init__.py"]
    lines = sum(p.read_text(encoding="utf-8").count("\n") for p in modules)
    print(f"{len(modules)} modules ({lines} lines) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
