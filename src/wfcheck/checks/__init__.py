"""Structural rules: problems that are not "this API is banned".

Each module holds one rule's logic as small functions the workflow checker calls on the nodes
it visits (see :mod:`wfcheck.analysis.checker`).
"""
