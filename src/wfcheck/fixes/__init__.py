"""Autofixes: rewrite flagged workflow code to the engine's replay-safe API, or move the
flagged value into a generated activity called through the engine.

`builder` turns a finding into a `Fix` (edits plus applicability), `extract` writes generated
activities, `imports` reuses or adds the imports a fix needs, `text` applies edits, and
`apply` runs the fix loop and writes files safely.
"""
