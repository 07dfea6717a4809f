#!/usr/bin/env python3
"""Generates the admission requests in this folder. Run `make test-data` after changing it.

Antrea's own objects are taken from Antrea's release manifest (vendor/antrea/antrea.yml by
default, or the path given as the first argument); the rest are built here.
"""
import copy
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
KINDS = {
    "Pod": ("", "v1", "pods"),
    "Deployment": ("apps", "v1", "deployments"),
    "ReplicaSet": ("apps", "v1", "replicasets"),
    "StatefulSet": ("apps", "v1", "statefulsets"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Job": ("batch", "v1", "jobs"),
    "CronJob": ("batch", "v1", "cronjobs"),
    "ReplicationController": ("", "v1", "replicationcontrollers"),
    "PersistentVolume": ("", "v1", "persistentvolumes"),
}


def request(obj, operation="CREATE", old=None, sub_resource=None, username="system:serviceaccount:tenant-a:deployer"):
    group, version, resource = KINDS[obj["kind"]]
    meta = obj.get("metadata", {})
    req = {
        "uid": "1299d386-525b-4032-98ae-1949f69f9cfc",
        "kind": {"group": group, "version": version, "kind": obj["kind"]},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": obj["kind"]},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": meta.get("name", ""),
        "operation": operation,
        "userInfo": {"username": username, "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": old,
        "dryRun": False,
        "options": {"kind": "CreateOptions" if operation == "CREATE" else "UpdateOptions", "apiVersion": "meta.k8s.io/v1"},
    }
    if "namespace" in meta:
        req["namespace"] = meta["namespace"]
    if sub_resource:
        req["subResource"] = sub_resource
    return req


def pod_spec(volumes, service_account="default"):
    mounts = [{"name": v["name"], "mountPath": "/mnt/%d" % i, "readOnly": i % 2 == 0} for i, v in enumerate(volumes)]
    return {
        "serviceAccountName": service_account,
        "containers": [{"name": "app", "image": "registry.example/app:1.0", "volumeMounts": mounts[:1]}],
        "initContainers": [{"name": "init", "image": "registry.example/init:1.0", "volumeMounts": mounts[1:]}],
        "volumes": volumes,
    }


def host_path(name, path, type_=None):
    source = {"path": path}
    if type_:
        source["type"] = type_
    return {"name": name, "hostPath": source}


def pod(volumes, namespace="tenant-a", name="web-1", service_account="default"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": {"app": "web"}},
            "spec": pod_spec(volumes, service_account)}


def template(volumes, service_account="default"):
    return {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec(volumes, service_account)}


def workload(kind, volumes, namespace="tenant-a", service_account="default"):
    api = {"": "v1", "apps": "apps/v1", "batch": "batch/v1"}[KINDS[kind][0]]
    obj = {"apiVersion": api, "kind": kind, "metadata": {"name": "web", "namespace": namespace}}
    if kind == "CronJob":
        obj["spec"] = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template(volumes, service_account)}}}
    elif kind == "Job":
        obj["spec"] = {"template": template(volumes, service_account)}
    else:
        obj["spec"] = {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template(volumes, service_account)}
    return obj


def persistent_volume(source):
    spec = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "manual"}
    spec.update(source)
    if "local" in source:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker-1"]}]}]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-1"}, "spec": spec}


def antrea_objects(manifest):
    import yaml  # only needed to regenerate, never by the tests

    found = {}
    for doc in yaml.safe_load_all(manifest.read_text()):
        if doc and doc.get("kind") in ("DaemonSet", "Deployment") and doc["metadata"]["name"] in ("antrea-agent", "antrea-controller"):
            found[doc["metadata"]["name"]] = doc
    return found["antrea-agent"], found["antrea-controller"]


def main():
    manifest = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "vendor" / "antrea" / "antrea.yml"
    files = {}

    agent, controller = antrea_objects(manifest)
    files["antrea-agent-daemonset.json"] = request(agent, username="system:serviceaccount:kube-system:helm")
    files["antrea-controller-deployment.json"] = request(controller, username="system:serviceaccount:kube-system:helm")
    moved = copy.deepcopy(agent)
    moved["metadata"]["namespace"] = "tenant-a"
    files["antrea-agent-daemonset-other-namespace.json"] = request(moved)
    renamed = copy.deepcopy(agent)
    renamed["spec"]["template"]["spec"]["serviceAccountName"] = "default"
    files["antrea-agent-daemonset-other-service-account.json"] = request(renamed)
    agent_pod = {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "antrea-agent-x2x9k", "namespace": "kube-system", "labels": agent["spec"]["template"]["metadata"]["labels"]},
                 "spec": copy.deepcopy(agent["spec"]["template"]["spec"])}
    agent_pod["spec"]["nodeName"] = "worker-1"
    files["antrea-agent-pod.json"] = request(agent_pod, username="system:serviceaccount:kube-system:daemon-set-controller")

    # The host-path spellings are one list, shared with the unit tests and the bats suite.
    spellings = json.loads((HERE.parent / "spellings.json").read_text())
    for spelling in spellings["rejected"] + spellings["accepted"]:
        files["pod-hostpath-%s.json" % spelling["label"]] = request(pod([
            {"name": "cache", "emptyDir": {}},
            host_path("host", spelling["hostPath"], "Directory"),
        ]))

    files["pod-secret-mounted-under-var-run-antrea.json"] = request({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "tenant-a"},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                                 "volumeMounts": [{"name": "token", "mountPath": "/var/run/antrea/antrea-controller-tls"}]}],
                 "volumes": [{"name": "token", "secret": {"secretName": "antrea-controller-tls"}}]}})
    files["pod-unmounted-hostpath-volume.json"] = request({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "tenant-a"},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}],
                 "volumes": [host_path("sneaky", "/run")]}})
    files["pod-two-offending-volumes.json"] = request(pod([
        host_path("logs", "/var/log"), host_path("run", "/var/run"), {"name": "cfg", "configMap": {"name": "cfg"}}, host_path("root", "/")]))
    files["pod-volumes-not-a-list.json"] = request({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "tenant-a"},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}], "volumes": {"name": "host", "hostPath": {"path": "/"}}}})
    files["pod-kube-system-other-service-account.json"] = request(pod([host_path("host", "/var/run/antrea")], namespace="kube-system", service_account="antrea-controller"))
    legacy = pod([host_path("host", "/var/run/antrea")], namespace="kube-system")
    del legacy["spec"]["serviceAccountName"]
    legacy["spec"]["serviceAccount"] = "antrea-agent"
    files["pod-kube-system-deprecated-service-account-field.json"] = request(legacy)
    files["pod-custom-exemption.json"] = request(pod([host_path("host", "/var/run/antrea")], namespace="monitoring", service_account="node-exporter"))
    files["pod-custom-protected-path.json"] = request(pod([host_path("host", "/var/lib/kubelet")]))

    old_pod = pod([host_path("host", "/var/run")])
    terminating = copy.deepcopy(old_pod)
    terminating["metadata"]["deletionTimestamp"] = "2026-11-26T10:00:00Z"
    old_pod["metadata"]["finalizers"] = ["example.com/cleanup"]
    files["pod-update-existing-violation.json"] = request(terminating, operation="UPDATE", old=old_pod)
    debug = pod([host_path("host", "/var/log")])
    with_ephemeral = copy.deepcopy(debug)
    with_ephemeral["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox", "targetContainerName": "app"}]
    with_ephemeral["spec"]["volumes"].append(host_path("antrea", "/run/antrea"))
    files["pod-ephemeral-containers-new-violation.json"] = request(with_ephemeral, operation="UPDATE", old=debug, sub_resource="ephemeralcontainers")

    for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"):
        slug = kind.lower()
        files["%s-hostpath-var-run.json" % slug] = request(workload(kind, [{"name": "tmp", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}, host_path("host", "/var/run")]))
        files["%s-safe.json" % slug] = request(workload(kind, [host_path("logs", "/var/log/app")]))
    safe = workload("Deployment", [host_path("logs", "/var/log/app")])
    grown = workload("Deployment", [host_path("logs", "/var/log/app"), host_path("host", "/")])
    files["deployment-update-new-violation.json"] = request(grown, operation="UPDATE", old=safe)
    files["deployment-update-existing-violation.json"] = request(copy.deepcopy(grown), operation="UPDATE", old=grown)

    files["pv-hostpath-var-run-antrea.json"] = request(persistent_volume({"hostPath": {"path": "/var/run/antrea", "type": "Directory"}}))
    files["pv-local-run.json"] = request(persistent_volume({"local": {"path": "/run"}}))
    files["pv-hostpath-safe.json"] = request(persistent_volume({"hostPath": {"path": "/mnt/data"}}))
    files["configmap.json"] = {
        "uid": "1", "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"}, "operation": "CREATE",
        "namespace": "tenant-a", "name": "cfg", "userInfo": {"username": "alice"},
        "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"path": "/var/run/antrea"}}}

    # What `kubectl debug node/worker-1 -it --image=busybox` creates: a Pod with the Node's root
    # filesystem at /host, in the admin's current namespace, sent by the admin.
    debug = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "node-debugger-worker-1-x7k2p", "namespace": "default"},
             "spec": {"nodeName": "worker-1", "hostIPC": True, "hostNetwork": True, "hostPID": True, "restartPolicy": "Never",
                      "containers": [{"name": "debugger", "image": "busybox", "stdin": True, "tty": True,
                                      "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}],
                      "tolerations": [{"operator": "Exists"}],
                      "volumes": [{"name": "host-root", "hostPath": {"path": "/", "type": ""}}]}}
    admin = {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:masters", "system:authenticated"]}
    files["pod-debug-node-by-admin.json"] = request(debug, username="kubernetes-admin") | {"userInfo": admin}
    files["pod-debug-node-by-controller.json"] = request(debug, username="system:serviceaccount:kube-system:replicaset-controller")
    debug_deployment = workload("Deployment", [host_path("host-root", "/")])
    files["deployment-host-root-by-admin.json"] = request(debug_deployment, username="kubernetes-admin") | {"userInfo": admin}

    for name, content in files.items():
        (HERE / name).write_text(json.dumps(content, indent=2, sort_keys=False) + "\n")
    print("wrote %d requests" % len(files))


if __name__ == "__main__":
    main()
