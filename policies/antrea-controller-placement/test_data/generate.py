#!/usr/bin/env python3
"""Generates the admission requests in this folder. Run `make test-data` after changing it.

Antrea's controller and agent are taken from Antrea's release manifest
(vendor/antrea/antrea.yml by default, or the path given as the first argument); the rest are
built here.
"""
import copy
import json
import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
MANIFEST = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "vendor" / "antrea" / "antrea.yml"
KINDS = {"Pod": ("", "v1", "pods"), "Deployment": ("apps", "v1", "deployments")}
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def request(obj, operation="CREATE", username="system:serviceaccount:kube-system:replicaset-controller"):
    group, version, resource = KINDS[obj["kind"]]
    meta = obj.get("metadata", {})
    return {
        "uid": "8f2c1a3e-4b5d-4c6e-9f70-81a2b3c4d5e6",
        "kind": {"group": group, "version": version, "kind": obj["kind"]},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": obj["kind"]},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", "default"),
        "operation": operation,
        "userInfo": {"username": username, "groups": ["system:serviceaccounts", "system:authenticated"]},
        "object": obj,
        "oldObject": copy.deepcopy(obj) if operation == "UPDATE" else None,
        "dryRun": False,
        "options": {"kind": "CreateOptions" if operation == "CREATE" else "UpdateOptions", "apiVersion": "meta.k8s.io/v1"},
    }


def pod_from(template, namespace, generate_name):
    meta = dict(template.get("metadata", {}), namespace=namespace, generateName=generate_name)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template["spec"])}


def controller_pod(**spec):
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "antrea-controller-6d9b7c8f4d-", "namespace": "kube-system",
                     "labels": {"app": "antrea", "component": "antrea-controller"}},
        "spec": {"serviceAccountName": "antrea-controller", "containers": [{"name": "antrea-controller", "image": "antrea/antrea-controller-ubuntu:v2.3.0"}]},
    }
    pod["spec"].update(spec)
    return pod


def write(name, content):
    (HERE / name).write_text(json.dumps(content, indent=2) + "\n")


docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "antrea-controller")
daemonset = next(d for d in docs if d["kind"] == "DaemonSet" and d["metadata"]["name"] == "antrea-agent")

write("antrea-controller-pod.json", request(pod_from(deployment["spec"]["template"], "kube-system", "antrea-controller-6d9b7c8f4d-")))
write("antrea-controller-deployment.json", request(deployment, username="system:admin"))
write("antrea-agent-pod.json", request(pod_from(daemonset["spec"]["template"], "kube-system", "antrea-agent-"), username="system:serviceaccount:kube-system:daemon-set-controller"))
write("tenant-pod.json", request({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "tenant-a"},
                                  "spec": {"serviceAccountName": "antrea-controller", "containers": [{"name": "web", "image": "nginx"}]}},
                                 username="system:serviceaccount:tenant-a:deployer"))
write("kube-system-other-pod.json", request({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "coredns-1", "namespace": "kube-system"},
                                             "spec": {"serviceAccountName": "coredns", "containers": [{"name": "coredns", "image": "coredns"}]}}))
write("controller-pod-bare.json", request(controller_pod()))
write("controller-pod-node-selector.json", request(controller_pod(nodeSelector={"kubernetes.io/os": "linux"})))
write("controller-pod-existing-terms.json", request(controller_pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]},
    {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}], "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["cp-1"]}]},
]}}})))
write("controller-pod-preferred-terms.json", request(controller_pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 50, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}]}})))
write("controller-pod-placed.json", request(controller_pod(
    affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": CONTROL_PLANE, "operator": "Exists"}]}]}}},
    tolerations=[{"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}])))
write("controller-pod-node-selector-placed.json", request(controller_pod(
    nodeSelector={CONTROL_PLANE: ""}, tolerations=[{"operator": "Exists"}])))
write("controller-pod-node-name.json", request(controller_pod(nodeName="worker-1")))
write("controller-pod-term-excludes-control-plane.json", request(controller_pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": CONTROL_PLANE, "operator": "DoesNotExist"}]}]}}})))
write("controller-pod-update.json", request(controller_pod(), operation="UPDATE"))
