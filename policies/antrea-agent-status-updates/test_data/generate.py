#!/usr/bin/env python3
"""Generates the admission requests in this folder from pod.json and node.json.

Run `make test-data` after changing it; the generated files are committed.
"""
import copy
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
AGENT = "system:serviceaccount:kube-system:antrea-agent"
NPL = '[{"podPort":8080,"nodeIP":"172.18.0.3","nodePort":61001,"protocol":"tcp"}]'

POD = json.loads((HERE / "pod.json").read_text())
NODE = json.loads((HERE / "node.json").read_text())


def user(username=AGENT, node="worker-1"):
    info = {"username": username, "uid": "a3c1e9b0-1f2d-4c3b-9a8e-7d6c5b4a3f21",
            "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]}
    if node is not None:
        info["extra"] = {
            "authentication.kubernetes.io/credential-id": ["JTI=0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"],
            "authentication.kubernetes.io/node-name": [node],
            "authentication.kubernetes.io/node-uid": ["9a0c1f7e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"],
            "authentication.kubernetes.io/pod-name": ["antrea-agent-x2x9k"],
            "authentication.kubernetes.io/pod-uid": ["5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"],
        }
    return info


def request(old, new, user_info=None, kind=None, dry_run=False, sub_resource="status"):
    kind = kind or old.get("kind") if old else kind
    group, version = "", "v1"
    resource = {"Pod": "pods", "Node": "nodes"}.get(kind)
    if kind == "AntreaAgentInfo":
        group, version, resource = "crd.antrea.io", "v1beta1", "antreaagentinfos"
    meta = (old or new or {}).get("metadata", {}) if isinstance(old or new, dict) else {}
    req = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "subResource": sub_resource,
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "requestSubResource": sub_resource,
        "name": meta.get("name", "web-1"),
        "operation": "UPDATE",
        "userInfo": user_info or user(),
        "object": new,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"},
    }
    if "namespace" in meta:
        req["namespace"] = meta["namespace"]
    return req


def changed(base, *edits):
    obj = copy.deepcopy(base)
    for path, value in edits:
        *parents, key = path
        target = obj
        for p in parents:
            target = target.setdefault(p, {}) if isinstance(target, dict) else target[p]
        if value is DELETE:
            target.pop(key, None)
        else:
            target[key] = value
    return obj


DELETE = object()


def main():
    files = {}
    npl = (("metadata", "annotations", "nodeportlocal.antrea.io"), NPL)
    files["pod-annotation-added.json"] = request(POD, changed(POD, npl))
    put = changed(POD, npl)
    files["pod-annotation-full-put.json"] = request(POD, dict(reversed(list(put.items()))))
    files["pod-annotation-changed.json"] = request(POD, changed(POD, (("metadata", "annotations", "kubernetes.io/psp"), "other")))
    files["pod-annotation-removed.json"] = request(POD, changed(POD, (("metadata", "annotations", "kubernetes.io/psp"), DELETE)))
    files["pod-network-status-annotation.json"] = request(POD, changed(POD, (("metadata", "annotations", "k8s.v1.cni.cncf.io/network-status"), "[]")))
    files["pod-label-added.json"] = request(POD, changed(POD, (("metadata", "labels", "role"), "db")))
    files["pod-label-changed.json"] = request(POD, changed(POD, (("metadata", "labels", "app"), "db")))
    files["pod-label-removed.json"] = request(POD, changed(POD, (("metadata", "labels", "app"), DELETE)))
    files["pod-label-and-annotation.json"] = request(POD, changed(POD, npl, (("metadata", "labels", "app"), "db")))
    files["pod-label-dry-run.json"] = request(POD, changed(POD, (("metadata", "labels", "app"), "db")), dry_run=True)
    files["pod-status-changed.json"] = request(POD, changed(POD, (("status", "phase"), "Failed")))
    files["pod-finalizer-added.json"] = request(POD, changed(POD, (("metadata", "finalizers"), ["example.com/block"])))
    with_finalizer = changed(POD, (("metadata", "finalizers"), ["kubernetes.io/pvc-protection"]))
    files["pod-finalizer-removed.json"] = request(with_finalizer, POD)
    files["pod-managed-fields-only.json"] = request(POD, changed(
        POD, (("metadata", "resourceVersion"), "48999"), (("metadata", "generation"), 3),
        (("metadata", "managedFields"), [{"manager": "antrea-agent", "operation": "Update", "apiVersion": "v1"}])))
    unlabeled = changed(POD, (("metadata", "labels"), DELETE))
    files["pod-unlabeled-annotation-added.json"] = request(unlabeled, changed(unlabeled, npl))
    files["pod-empty-labels-vs-absent.json"] = request(unlabeled, changed(unlabeled, (("metadata", "labels"), {}), npl))
    terminating = changed(POD, (("metadata", "deletionTimestamp"), "2026-11-26T10:00:00Z"), (("metadata", "deletionGracePeriodSeconds"), 30))
    files["pod-terminating-annotation.json"] = request(terminating, changed(terminating, npl))
    files["pod-kubelet-status-update.json"] = request(POD, changed(POD, (("status", "phase"), "Failed")), user_info={
        "username": "system:node:worker-1", "groups": ["system:nodes", "system:authenticated"]})
    files["pod-other-service-account-label.json"] = request(POD, changed(POD, (("metadata", "labels", "app"), "db")), user_info=user(
        "system:serviceaccount:kube-system:replicaset-controller", node=None))
    files["pod-helm-agent-label.json"] = request(POD, changed(POD, (("metadata", "labels", "app"), "db")), user_info=user(
        "system:serviceaccount:antrea:antrea-agent"))
    files["pod-helm-agent-annotation.json"] = request(POD, changed(POD, npl), user_info=user("system:serviceaccount:antrea:antrea-agent"))
    files["pod-on-other-node.json"] = request(POD, changed(POD, npl), user_info=user(node="worker-2"))
    files["pod-without-node-claim.json"] = request(POD, changed(POD, npl), user_info=user(node=None))
    unscheduled = changed(POD, (("spec", "nodeName"), DELETE))
    files["pod-unscheduled.json"] = request(unscheduled, changed(unscheduled, npl))
    files["pod-unlisted-annotation-added.json"] = request(POD, changed(POD, (("metadata", "annotations", "example.com/x"), "y")))
    files["pod-missing-object.json"] = request(POD, None)
    files["pod-null-old-object.json"] = request(None, changed(POD, npl), kind="Pod")
    files["pod-object-not-an-object.json"] = request(POD, "web-1")

    mac = (("metadata", "annotations", "node.antrea.io/mac-address"), "ae:3c:12:7f:00:02")
    files["node-annotation-changed.json"] = request(NODE, changed(NODE, mac))
    files["node-unlisted-annotation-changed.json"] = request(NODE, changed(NODE, (("metadata", "annotations", "node.antrea.io.evil/x"), "y")))
    files["node-allocatable-zero.json"] = request(NODE, changed(NODE, (("status", "allocatable", "pods"), "0")))
    conditions = copy.deepcopy(NODE["status"]["conditions"])
    conditions[1]["status"] = "False"
    files["node-condition-changed.json"] = request(NODE, changed(NODE, (("status", "conditions"), conditions)))
    files["node-owner-reference-added.json"] = request(NODE, changed(NODE, (("metadata", "ownerReferences"), [
        {"apiVersion": "v1", "kind": "Pod", "name": "short-lived", "uid": "0f0e0d0c-0b0a-4909-8807-060504030201"}])))
    files["node-label-added.json"] = request(NODE, changed(NODE, (("metadata", "labels", "node-role.kubernetes.io/control-plane"), "")))
    files["node-other-node.json"] = request(NODE, changed(NODE, mac), user_info=user(node="worker-2"))
    images = [{"names": ["registry.example/team-%03d/image@sha256:%064x" % (i, i), "registry.example/team-%03d/image:v%d" % (i, i)],
               "sizeBytes": 50_000_000 + i} for i in range(600)]
    big = changed(NODE, (("status", "images"), images))
    files["node-600-images-annotation.json"] = request(big, changed(big, (("metadata", "annotations", "node.antrea.io/bgp-router-id"), "10.0.0.1")))

    info = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "AntreaAgentInfo", "metadata": {"name": "worker-1", "resourceVersion": "1"},
            "version": "v2.7.0", "nodeRef": {"kind": "Node", "name": "worker-1"}, "podRef": {"kind": "Pod", "name": "antrea-agent-x2x9k", "namespace": "kube-system"}}
    files["antrea-crd-status-update.json"] = request(info, changed(info, (("version",), "v2.8.0"), (("metadata", "labels"), {"x": "y"})))

    for name, content in files.items():
        (HERE / name).write_text(json.dumps(content, indent=2) + "\n")
    print("wrote %d requests" % len(files))


if __name__ == "__main__":
    main()
