#!/usr/bin/env python3
"""Seeds the fuzz corpora from the policies' test fixtures (corpus/<target>/)."""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
STATUS = sorted((ROOT / "policies/antrea-agent-status-updates/test_data").glob("*.json"))
HOSTPATH = sorted((ROOT / "policies/antrea-hostpath-guard/test_data").glob("*.json"))
REGRESSIONS = HERE / "regressions"


def requests(paths):
    for path in paths:
        content = json.loads(path.read_text())
        if isinstance(content, dict) and "uid" in content:
            yield path.stem, content


def write(target, name, data):
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


for name, request in requests(STATUS):
    write("status_updates_validate", name, json.dumps({"request": request, "settings": {}}))
    old, new = request.get("oldObject"), request.get("object")
    write("status_updates_restricted", name, json.dumps(old) + "\x1f" + json.dumps(new))
    write("status_updates_differential", name, json.dumps(old) + "\x1f" + json.dumps(new))
for name, request in requests(HOSTPATH):
    write("hostpath_validate", name, json.dumps({"request": request, "settings": {}}))
    write("hostpath_workload", name, json.dumps(request.get("object")))
    spec = (request.get("object") or {}).get("spec") or {}
    for spec in (spec, (spec.get("template") or {}).get("spec") or {}):
        paths = [v["hostPath"].get("path", "") for v in spec.get("volumes") or [] if isinstance(v, dict) and isinstance(v.get("hostPath"), dict)]
        if paths:
            # The low nibble: namespace, ServiceAccount, operation, kind; then a few of the
            # settings variants (bits 4-5) and stored objects (bit 7).
            for choice in list(range(16)) + [low | high for low in (0, 9) for high in (0x10, 0x20, 0x30, 0x84)]:
                write("hostpath_differential", "%s-%d" % (name, choice), bytes([choice]) + "\n".join(paths).encode())
PLACEMENT = sorted((ROOT / "policies/antrea-controller-placement/test_data").glob("*.json"))
for name, request in requests(PLACEMENT):
    write("placement_validate", name, json.dumps({"request": request, "settings": {}}))
    spec = (request.get("object") or {}).get("spec")
    if isinstance(spec, dict):
        write("placement_pod", name, json.dumps(spec))
        write("placement_differential", name, json.dumps(spec))
for target, settings in {
    "status_updates_settings": [{}, {"usernames": ["a"], "mode": "status-and-labels", "nodeBinding": "required", "allowedAnnotationKeys": ["x/"]}],
    "hostpath_settings": [{}, {"protectedPaths": ["/a"], "equivalentPaths": [["/a", "/b"]], "procIndirection": False, "checkPersistentVolumes": True, "exemptions": [{"namespace": "n", "serviceAccountName": "s"}]}],
    "placement_settings": [{}, {"controllers": [{"namespace": "antrea", "serviceAccountName": "antrea-controller"}], "secureNodes": [{"key": "pool", "operator": "In", "values": ["system"]}], "tolerations": [{"key": "pool", "operator": "Equal", "value": "system", "effect": "NoSchedule"}], "mode": "validate", "checkWorkloads": True}],
}.items():
    for index, value in enumerate(settings):
        write(target, "seed-%d" % index, json.dumps(value))
# Inputs that once crashed a target stay in its corpus.
if REGRESSIONS.is_dir():
    for path in REGRESSIONS.glob("*/*"):
        write(path.parent.name, "regression-" + path.name, path.read_bytes())
