"""Run scenarios through ``wfcheck replay run`` / ``raise-event`` (the CLI, in one process).

``python wfcheck_driver.py SCENARIOS.json DB_DIR``: for each scenario, ``replay run
FILE:WORKFLOW --input JSON``, then one ``replay raise-event`` per event (with
``--fire-timers`` when the scenario says so). Prints one JSON object per scenario: the final
status, output or error type, and everything the commands printed.
"""

from __future__ import annotations

import json
import os
import sys

from click.testing import CliRunner

from wfcheck.runtime.cli import replay


def outcome_of(text: str) -> dict:
    result: dict = {"status": None}
    for line in text.splitlines():
        if line.startswith("instance ") and ": " in line:
            result["status"] = line.rsplit(": ", 1)[1]
        elif line.startswith("output: "):
            result["output"] = json.loads(line[len("output: ") :])
        elif line.startswith("error: "):
            result["error_type"] = line[len("error: ") :].split(":", 1)[0]
    return result


def main(path: str, db_dir: str) -> int:
    with open(path, encoding="utf-8") as handle:
        scenarios = json.load(handle)
    runner = CliRunner()
    for number, scenario in enumerate(scenarios):
        db = os.path.join(db_dir, f"s{number}.db")
        instance = f"wfcheck-{number}"
        args = ["run", f"{scenario['program']}:{scenario['workflow']}", "--db", db, "--instance-id", instance]
        if scenario.get("input") is not None:
            args += ["--input", json.dumps(scenario["input"])]
        if scenario.get("fire_timers"):
            args.append("--fire-timers")
        outputs = [runner.invoke(replay, args, catch_exceptions=True)]
        for name, data in scenario.get("events", []):
            event_args = ["raise-event", instance, name, "--db", db]
            if data is not None:
                event_args += ["--data", json.dumps(data)]
            outputs.append(runner.invoke(replay, event_args, catch_exceptions=True))
        text = "\n".join(o.output for o in outputs)
        errors = [
            repr(o.exception) for o in outputs if o.exception and not isinstance(o.exception, SystemExit)
        ]
        print(
            json.dumps(
                {
                    "program": os.path.basename(scenario["program"]),
                    **outcome_of(outputs[-1].output),
                    "text": text,
                    "exceptions": errors,
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
