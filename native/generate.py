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
    for rule in RULES:
        policy = HERE / rule / "policy.yaml"
        policy.write_text(with_cel(rule, policy.read_text(), PARAMS))


if __name__ == "__main__":
    main()
