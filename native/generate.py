#!/usr/bin/env python3
"""Copies each rule's CEL source (cel/<rule>.yaml) into the Kubernetes-native policy
(native/<rule>/policy.yaml), between its BEGIN/END markers. The Gatekeeper templates carry the
same block (gatekeeper/generate.py); the native e2e test checks that both copies are current.

In a ValidatingAdmissionPolicy the parameters are the `params` object; the CEL reads its
settings from `variables.params` (as in Gatekeeper, where that variable is the constraint's
parameters), so a first variable maps one to the other.
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cel"))
from inject import with_cel  # noqa: E402

RULES = ["antrea-agent-status-updates", "antrea-hostpath-guard"]
PARAMS = [
    "  # The binding's parameters (paramRef with parameterNotFoundAction: Deny, so never null).",
    "  - name: params",
    "    expression: \"params.spec\"",
]


def main():
    """Writes the policies; with --check, only fails if one is not what it would write."""
    check = "--check" in sys.argv
    stale = []
    for rule in RULES:
        policy = HERE / rule / "policy.yaml"
        text = policy.read_text()
        fresh = with_cel(rule, text, PARAMS)
        if fresh != text:
            stale.append(str(policy.relative_to(HERE.parent)))
            if not check:
                policy.write_text(fresh)
    if check and stale:
        sys.exit("not generated from cel/ (run python3 native/generate.py): " + ", ".join(stale))


if __name__ == "__main__":
    main()
