#!/usr/bin/env python3
"""Generates the benchmark payloads in benches/payloads/ and the suite in benches/suite.json.

Run `make bench-data` after changing it; the generated files are committed so that every run
measures the same bytes.
"""
import copy
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
STATUS = ROOT / "policies" / "antrea-agent-status-updates" / "test_data"
HOSTPATH = ROOT / "policies" / "antrea-hostpath-guard" / "test_data"
PLACEMENT = ROOT / "policies" / "antrea-controller-placement" / "test_data"
AGENT = "system:serviceaccount:kube-system:antrea-agent"


def load(path):
    return json.loads(path.read_text())


def big_pod():
    """A ~6 KB Pod, the size of a typical workload Pod with sidecars."""
    pod = load(STATUS / "pod.json")
    containers = []
    for i in range(3):
        containers.append({
            "name": "app-%d" % i, "image": "registry.example/team/app-%d:1.4.2" % i,
            "args": ["--listen=:80%02d" % i, "--log-level=info", "--metrics"],
            "env": [{"name": "ENV_%d_%d" % (i, j), "value": "value-%d" % j} for j in range(8)],
            "ports": [{"containerPort": 8080 + i, "name": "http-%d" % i, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080 + i}, "periodSeconds": 10},
            "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}],
        })
    pod["spec"]["containers"] = containers
    pod["spec"]["volumes"] = [{"name": "kube-api-access", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}]
    pod["status"]["containerStatuses"] = [
        {"name": c["name"], "ready": True, "restartCount": 0, "image": c["image"], "imageID": c["image"] + "@sha256:" + "ab" * 32,
         "containerID": "containerd://" + "cd" * 32, "started": True, "state": {"running": {"startedAt": "2026-11-20T10:00:04Z"}}}
        for c in containers]
    return pod


def status_request(old, new, username, node_claim, kind="Pod"):
    resource = "pods" if kind == "Pod" else "nodes"
    user = {"username": username, "groups": ["system:authenticated"]}
    if node_claim:
        user["extra"] = {"authentication.kubernetes.io/node-name": [node_claim],
                         "authentication.kubernetes.io/pod-name": ["antrea-agent-x2x9k"]}
    return {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": kind},
        "resource": {"group": "", "version": "v1", "resource": resource},
        "subResource": "status",
        "requestKind": {"group": "", "version": "v1", "kind": kind},
        "requestResource": {"group": "", "version": "v1", "resource": resource},
        "requestSubResource": "status",
        "name": old["metadata"]["name"],
        **({"namespace": old["metadata"]["namespace"]} if "namespace" in old["metadata"] else {}),
        "operation": "UPDATE",
        "userInfo": user,
        "object": new,
        "oldObject": old,
        "dryRun": False,
        "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"},
    }


# Cold instructions a payload may add to the floor's (docs/performance.md, "Budgets").
# policy-server spends about 500 µs of CPU on a request; 5% of it, 25 µs, is
# INSTRUCTIONS_PER_MICROSECOND × 25. The rate is the slope of cold time over cold instructions
# across the suite's payloads (8 600 to 10 500 per µs in two runs on the 2-core machine, under
# load).
INSTRUCTIONS_PER_MICROSECOND = 9_000
ALLOWED_PER_REQUEST = 25 * INSTRUCTIONS_PER_MICROSECOND
# The mutated controller Pod may cost 1/0.85 - 1 = 17.6% of a request (88 µs), of which
# policy-server's own work on the mutation (parsing the answer, the JSON Patch) takes 47 µs.
ALLOWED_MUTATION = (88 - 47) * INSTRUCTIONS_PER_MICROSECOND
# A 211 KiB request costs policy-server at least 2.4 ms more than a 10 KiB one (serialising the
# payload alone is 8.4 M instructions instead of 1.05 M): 5% of 2.9 ms.
ALLOWED_600_IMAGE_NODE = 145 * INSTRUCTIONS_PER_MICROSECOND


def budget(floor, allowed):
    """The ratio to a floor of `floor` instructions that allows `allowed` more, rounded down."""
    return int(100 * (floor + allowed) / floor) / 100


def deployed_settings():
    """Each policy's settings as deploy/ gives them: what policy-server sends with every request."""
    import yaml  # PyYAML (apt-get install python3-yaml)

    settings = {}
    for name in ("antrea-agent-status-updates", "antrea-hostpath-guard", "antrea-controller-placement"):
        documents = list(yaml.safe_load_all((ROOT / "deploy" / (name + ".yaml")).read_text()))
        first = next(d for d in documents if d and "settings" in d.get("spec", {}))
        settings["policies/%s/annotated-policy.wasm" % name] = first["spec"]["settings"]
    return settings


def main():
    payloads = HERE / "payloads"
    payloads.mkdir(exist_ok=True)
    files = {}

    pod = big_pod()
    heartbeat = copy.deepcopy(pod)
    heartbeat["status"]["conditions"][1]["lastProbeTime"] = "2026-11-26T10:00:10Z"
    heartbeat["metadata"]["resourceVersion"] = "48214"
    files["kubelet-pod-status-heartbeat.json"] = status_request(pod, heartbeat, "system:node:worker-1", None)

    npl = copy.deepcopy(pod)
    npl["metadata"]["annotations"]["nodeportlocal.antrea.io"] = '[{"podPort":8080,"nodeIP":"172.18.0.3","nodePort":61001,"protocol":"tcp"}]'
    files["agent-pod-npl-annotation-patch.json"] = status_request(pod, npl, AGENT, "worker-1")
    put = dict(reversed(list(copy.deepcopy(npl).items())))
    files["agent-pod-full-put.json"] = status_request(pod, put, AGENT, "worker-1")

    node = load(STATUS / "node.json")
    node["status"]["images"] = [
        {"names": ["registry.example/team-%03d/image@sha256:%064x" % (i, i), "registry.example/team-%03d/image:v%d" % (i, i)],
         "sizeBytes": 50_000_000 + i} for i in range(600)]
    annotated = copy.deepcopy(node)
    annotated["metadata"]["annotations"]["node.antrea.io/transport-addresses"] = "172.18.0.3,fd00::3"
    files["agent-node-annotation-600-images.json"] = status_request(node, annotated, AGENT, "worker-1", kind="Node")

    relabel = copy.deepcopy(pod)
    relabel["metadata"]["labels"]["app"] = "db"
    files["agent-pod-relabel-rejected.json"] = status_request(pod, relabel, AGENT, "worker-1")
    files["tenant-pod-run-alias-rejected.json"] = load(HOSTPATH / "pod-hostpath-run-alias.json")

    files["tenant-pod-create-five-volumes.json"] = load(HOSTPATH / "pod-two-offending-volumes.json") | {
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "tenant-a"},
                   "spec": big_pod()["spec"] | {"volumes": [
                       {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
                       {"name": "cache", "emptyDir": {}},
                       {"name": "cfg", "configMap": {"name": "cfg"}},
                       {"name": "logs", "hostPath": {"path": "/var/log/web", "type": "DirectoryOrCreate"}},
                       {"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]}}}
    files["tenant-deployment.json"] = load(HOSTPATH / "deployment-safe.json")
    files["tenant-cronjob.json"] = load(HOSTPATH / "cronjob-safe.json")
    files["antrea-agent-daemonset.json"] = load(HOSTPATH / "antrea-agent-daemonset.json")
    files["persistent-volume.json"] = load(HOSTPATH / "pv-hostpath-safe.json")
    files["antrea-controller-pod.json"] = load(PLACEMENT / "antrea-controller-pod.json")
    files["antrea-controller-pod-placed.json"] = load(PLACEMENT / "controller-pod-placed.json")
    files["kube-system-other-pod.json"] = load(PLACEMENT / "kube-system-other-pod.json")

    for name, content in files.items():
        (payloads / name).write_text(json.dumps(content, separators=(",", ":")) + "\n")

    status = "policies/antrea-agent-status-updates/annotated-policy.wasm"
    hostpath = "policies/antrea-hostpath-guard/annotated-policy.wasm"
    placement = "policies/antrea-controller-placement/annotated-policy.wasm"
    policies = {"status-updates": status, "hostpath-guard": hostpath, "controller-placement": placement}
    # Budgets (docs/performance.md, "Budgets"): the largest ratio of the policy's cold
    # instructions to the floor's on the same payload, from the instructions a payload may add
    # to the floor's and the floor's own count (make bench, the floor of the policy's verdict).
    request = ALLOWED_PER_REQUEST
    benchmarks = [
        ("status-updates: kubelet pods/status heartbeat", "kubelet-pod-status-heartbeat.json", budget(210_000, request)),
        ("status-updates: agent NPL annotation patch", "agent-pod-npl-annotation-patch.json", budget(210_000, request)),
        ("status-updates: agent full PUT of a Pod", "agent-pod-full-put.json", budget(210_000, request)),
        ("status-updates: agent Node annotation, 600 images", "agent-node-annotation-600-images.json", budget(827_000, ALLOWED_600_IMAGE_NODE)),
        ("status-updates: Antrea agent DaemonSet (unrestricted)", "antrea-agent-daemonset.json", budget(178_000, request)),
        ("status-updates: agent relabels a Pod (rejected)", "agent-pod-relabel-rejected.json", budget(210_000, request)),
        ("hostpath-guard: Pod mounting /run (rejected)", "tenant-pod-run-alias-rejected.json", budget(177_000, request)),
        ("hostpath-guard: tenant Pod create, five volumes", "tenant-pod-create-five-volumes.json", budget(177_000, request)),
        ("hostpath-guard: kube-system Pod, no volume", "kube-system-other-pod.json", budget(177_000, request)),
        ("hostpath-guard: Deployment", "tenant-deployment.json", budget(177_000, request)),
        ("hostpath-guard: CronJob", "tenant-cronjob.json", budget(177_000, request)),
        ("hostpath-guard: Antrea agent DaemonSet", "antrea-agent-daemonset.json", budget(178_000, request)),
        ("hostpath-guard: PersistentVolume", "persistent-volume.json", budget(177_000, request)),
        ("hostpath-guard: Pod UPDATE (old and new object)", "kubelet-pod-status-heartbeat.json", budget(210_000, request)),
        ("controller-placement: tenant Pod create", "tenant-pod-create-five-volumes.json", budget(177_000, request)),
        ("controller-placement: other kube-system Pod", "kube-system-other-pod.json", budget(177_000, request)),
        ("controller-placement: Antrea controller Pod (mutated)", "antrea-controller-pod.json", budget(177_000, ALLOWED_MUTATION)),
        ("controller-placement: controller Pod already placed", "antrea-controller-pod-placed.json", budget(177_000, request)),
    ]
    settings = deployed_settings()
    suite = {
        "floor": "target/wasm32-wasip1/release/floor_guest.wasm",
        "floor_reject": "target/floor-reject/wasm32-wasip1/release/floor_guest.wasm",
        "benchmarks": [
            {"name": name, "policy": policies[name.split(":")[0]], "request": "benches/payloads/" + request,
             "settings": settings[policies[name.split(":")[0]]], "budget": budget}
            for name, request, budget in benchmarks],
    }
    (HERE / "suite.json").write_text(json.dumps(suite, indent=2) + "\n")
    for name in files:
        print("%-45s %8d bytes" % (name, (payloads / name).stat().st_size))


if __name__ == "__main__":
    main()
