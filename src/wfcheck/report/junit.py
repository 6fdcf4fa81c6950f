"""JUnit XML: one failing test case per diagnostic, grouped in one test suite per file, for CI
systems that show test reports (GitLab, Jenkins, Azure Pipelines)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.printable import xml_safe


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    root = ET.Element(
        "testsuites",
        name="wfcheck",
        tests=str(max(len(diagnostics), 1)),
        failures=str(len(diagnostics)),
        errors="0",
    )
    by_file: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        # XML 1.0 cannot hold most control characters, not even as references.
        d = replace(
            d,
            path=xml_safe(d.path),
            message=xml_safe(d.message),
            workflow=xml_safe(d.workflow),
            chain=tuple(xml_safe(step) for step in d.chain),
            help=xml_safe(d.help) if d.help else d.help,
        )
        by_file.setdefault(d.path, []).append(d)
    if not by_file:
        suite = ET.SubElement(root, "testsuite", name="wfcheck", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="No findings", classname="wfcheck")
    for path, found in by_file.items():
        suite = ET.SubElement(
            root, "testsuite", name=path, tests=str(len(found)), failures=str(len(found)), errors="0"
        )
        for d in found:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{d.code} {d.name} at {d.path}:{d.line}:{d.column}",
                classname=d.path,
                file=d.path,
                line=str(d.line),
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.code)
            details = [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}"]
            if d.workflow:
                details.append(f"in workflow `{d.workflow}` ({d.framework})")
            details += [f"via {step}" for step in d.chain]
            if d.help:
                details.append(f"help: {d.help}")
            failure.text = "\n".join(details)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
