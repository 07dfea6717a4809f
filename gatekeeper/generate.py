#!/usr/bin/env python3
"""Generates the Gatekeeper edition's derived files, so both editions share one corpus:

- each template's K8sNativeValidation block, copied from the CEL source `cel/<rule>.yaml`
  between the template's BEGIN/END markers (the Rego stays written in the template);
- the gator suite (`suite.yaml`, `samples/<constraint>/`) from the Kubewarden policy's
  fixtures. A fixture whose verdict depends only on its object becomes a plain object
  (`example_allowed_*.yaml`, `example_disallowed_*.yaml`: what audit and `gator test` review);
  one that needs its request (an UPDATE, a requester, the agent's userInfo) becomes an
  AdmissionReview (`example_*_review_*.yaml`) and, for the hostPath guard, its object is also
  reviewed as audit reviews it.

Each case's expected verdict is the Kubewarden policy's, computed by `$KWCTL run` (kwctl, or the
project's runner) with the constraint's parameters as settings; a stored object is judged as a
CREATE by a requester no setting exempts. `make gatekeeper-suites` runs it; `make test` checks
that the committed files are what it writes and runs the suites through gator on both engines.
"""
import json
import os
import pathlib
import subprocess
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
KWCTL = os.environ.get("KWCTL") or str(ROOT / "target/release/policy-runner")
RULES = ["antrea-agent-status-updates", "antrea-hostpath-guard"]
# Files that are not admission requests.
NOT_REQUESTS = {"pod.json", "node.json"}
# Who audit's review stands for: no requester (no setting exempts it).
AUDITOR = {"username": "system:serviceaccount:gatekeeper-system:gatekeeper-admin",
           "groups": ["system:serviceaccounts", "system:authenticated"]}
BEGIN = "# BEGIN generated from cel/"
END = "# END generated"


def cel_block(rule, indent):
    """The CEL source without its header comments, indented for the template."""
    lines = (ROOT / "cel" / (rule + ".yaml")).read_text().splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "".join((indent + line).rstrip() + "\n" for line in lines)


def with_cel(rule, template):
    """The template text with its K8sNativeValidation block taken from cel/<rule>.yaml."""
    start = template.index(BEGIN)
    line_start = template.rindex("\n", 0, start) + 1
    indent = template[line_start:start]
    begin_end = template.index("\n", start) + 1
    end = template.index(END, begin_end)
    end_line = template.rindex("\n", 0, end) + 1
    return template[:begin_end] + cel_block(rule, indent) + template[end_line:]


def verdict(rule, request, parameters):
    out = subprocess.run(
        [KWCTL, "run", "-r", "-", "--settings-json", json.dumps(parameters),
         str(ROOT / "policies" / rule / "annotated-policy.wasm")],
        input=json.dumps(request), check=True, capture_output=True, text=True).stdout
    return json.loads(out)["allowed"]


def as_stored(request):
    """The request audit makes of the stored object: a CREATE with no requester."""
    stored = {k: v for k, v in request.items() if k not in ("oldObject", "options", "dryRun")}
    stored["operation"] = "CREATE"
    stored["userInfo"] = AUDITOR
    return stored


def sample(samples, stem, allowed, review, document):
    prefix = "example_allowed" if allowed else "example_disallowed"
    path = samples / ("%s_%s%s.yaml" % (prefix, "review_" if review else "", stem))
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return {"name": ("review-" if review else "") + stem,
            "object": str(path.relative_to(samples.parent.parent)),
            "assertions": [{"violations": "no" if allowed else "yes"}]}


def cases_for(rule, fixture, samples, parameters):
    request = json.loads(fixture.read_text())
    # gator matches a case on its object: a request without one (which the API server never
    # sends for CREATE or UPDATE) stays with the parity tests.
    if not isinstance(request.get("object"), dict):
        return []
    allowed = verdict(rule, request, parameters)
    stored = verdict(rule, as_stored(request), parameters)
    plain_is_enough = request.get("operation") == "CREATE" and stored == allowed and \
        rule == "antrea-hostpath-guard"
    cases = []
    if not plain_is_enough:
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
        cases.append(sample(samples, fixture.stem, allowed, True, review))
    cases.append(sample(samples, fixture.stem, stored, False, request["object"]))
    return cases


def suite(rule):
    folder = HERE / rule
    samples = folder / "samples" / rule
    for old in samples.glob("example_*.yaml"):
        old.unlink()
    constraint = yaml.safe_load((samples / "constraint.yaml").read_text())
    parameters = constraint["spec"]["parameters"]
    cases = []
    for fixture in sorted((ROOT / "policies" / rule / "test_data").glob("*.json")):
        if fixture.name not in NOT_REQUESTS:
            cases.extend(cases_for(rule, fixture, samples, parameters))
    document = {"kind": "Suite", "apiVersion": "test.gatekeeper.sh/v1alpha1",
                "metadata": {"name": rule},
                "tests": [{"name": rule, "template": "template.yaml",
                           "constraint": "samples/%s/constraint.yaml" % rule, "cases": cases}]}
    header = ("# gator verify suite, generated by gatekeeper/generate.py from the Kubewarden policy's\n"
              "# fixtures; each case expects the Kubewarden policy's verdict.\n")
    (folder / "suite.yaml").write_text(header + yaml.safe_dump(document, sort_keys=False))
    return len(cases)


def main():
    templates_only = "--templates" in sys.argv
    for rule in RULES:
        template = HERE / rule / "template.yaml"
        template.write_text(with_cel(rule, template.read_text()))
        if not templates_only:
            print("%s: %d cases" % (rule, suite(rule)))


if __name__ == "__main__":
    main()
