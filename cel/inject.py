"""Copies a rule's CEL source (`cel/<rule>.yaml`) into a manifest between its markers:

    # BEGIN generated from cel/<rule>.yaml ...
    # END generated

Both the Gatekeeper templates (gatekeeper/generate.py) and the Kubernetes-native policies
(native/generate.py) carry the same block, so the editions cannot drift.
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN = "# BEGIN generated from cel/"
END = "# END generated"


def cel_block(rule, indent, prelude=()):
    """The CEL source without its header comments, indented; `prelude` lines (unindented YAML
    list items) are put first under `variables:`."""
    lines = (ROOT / "cel" / (rule + ".yaml")).read_text().splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    if prelude:
        at = lines.index("variables:") + 1
        lines[at:at] = list(prelude)
    return "".join((indent + line).rstrip() + "\n" for line in lines)


def with_cel(rule, text, prelude=()):
    """The manifest text with the block between its markers taken from cel/<rule>.yaml."""
    start = text.index(BEGIN)
    line_start = text.rindex("\n", 0, start) + 1
    indent = text[line_start:start]
    begin_end = text.index("\n", start) + 1
    end = text.index(END, begin_end)
    end_line = text.rindex("\n", 0, end) + 1
    return text[:begin_end] + cel_block(rule, indent, prelude) + text[end_line:]
