#!/usr/bin/env bats
# End-to-end cases for the antrea-hostpath-guard policy, evaluated through $KWCTL.

load helpers

POLICY=antrea-hostpath-guard

@test "Antrea's real agent DaemonSet is admitted unchanged" {
  evaluate $POLICY antrea-agent-daemonset.json
  assert_allowed
}

@test "Antrea's agent Pod is admitted" {
  evaluate $POLICY antrea-agent-pod.json
  assert_allowed
}

@test "Antrea's real controller Deployment is admitted" {
  evaluate $POLICY antrea-controller-deployment.json
  assert_allowed
}

@test "the agent DaemonSet in another namespace is rejected" {
  evaluate $POLICY antrea-agent-daemonset-other-namespace.json
  assert_rejected 'DaemonSet tenant-a/antrea-agent mounts host paths that reach protected paths: spec.template.spec.volumes[3] "host-proc" hostPath "/proc" reaches protected path "/var/run/antrea"; spec.template.spec.volumes[5] "host-var-run-antrea" hostPath "/var/run/antrea" reaches protected path "/var/run/antrea"'
}

@test "the agent DaemonSet with another ServiceAccount is rejected" {
  evaluate $POLICY antrea-agent-daemonset-other-service-account.json
  assert_rejected 'DaemonSet kube-system/antrea-agent mounts host paths that reach protected paths'
}

# The host-path spellings, one list shared with the unit tests and test_data/generate.py (which
# writes pod-hostpath-<label>.json for each).
SPELLINGS="$ROOT/policies/$POLICY/spellings.json"

@test "every spelling that reaches /var/run/antrea is rejected with its path" {
  mapfile -t entries < <(jq -r '.rejected[] | "\(.label)|\(.hostPath)|\(.reaches)"' "$SPELLINGS")
  # jq's failure does not reach the test through the process substitution; an empty list would pass.
  [ "${#entries[@]}" -gt 0 ]
  for entry in "${entries[@]}"; do
    IFS='|' read -r label written reaches <<<"$entry"
    evaluate $POLICY "pod-hostpath-$label.json"
    assert_rejected "Pod tenant-a/web-1 mounts host paths that reach protected paths: spec.volumes[1] \"host\" hostPath \"$written\" reaches protected path \"$reaches\""
  done
}

@test "sibling names and unrelated paths are accepted" {
  mapfile -t labels < <(jq -r '.accepted[].label' "$SPELLINGS")
  [ "${#labels[@]}" -gt 0 ]
  for label in "${labels[@]}"; do
    evaluate $POLICY "pod-hostpath-$label.json"
    assert_allowed
  done
}

@test "a Secret mounted at /var/run/antrea/... is not a host path" {
  evaluate $POLICY pod-secret-mounted-under-var-run-antrea.json
  assert_allowed
}

@test "an unmounted hostPath volume still counts" {
  evaluate $POLICY pod-unmounted-hostpath-volume.json
  assert_rejected 'spec.volumes[0] "sneaky" hostPath "/run" reaches protected path "/run/antrea"'
}

@test "every offending volume is listed" {
  evaluate $POLICY pod-two-offending-volumes.json
  assert_rejected 'spec.volumes[1] "run" hostPath "/var/run" reaches protected path "/var/run/antrea"; spec.volumes[3] "root" hostPath "/" reaches protected path "/var/run/antrea"'
}

@test "kube-system alone does not exempt" {
  evaluate $POLICY pod-kube-system-other-service-account.json
  assert_rejected 'Pod kube-system/web-1 mounts host paths'
}

@test "the deprecated serviceAccount field is honoured" {
  evaluate $POLICY pod-kube-system-deprecated-service-account-field.json
  assert_allowed
}

@test "every workload kind is checked" {
  for entry in deployment:Deployment replicaset:ReplicaSet statefulset:StatefulSet daemonset:DaemonSet job:Job replicationcontroller:ReplicationController; do
    IFS=: read -r slug kind <<<"$entry"
    evaluate $POLICY "$slug-hostpath-var-run.json"
    assert_rejected "$kind tenant-a/web mounts host paths that reach protected paths: spec.template.spec.volumes[2] \"host\" hostPath \"/var/run\" reaches protected path \"/var/run/antrea\""
    evaluate $POLICY "$slug-safe.json"
    assert_allowed
  done
}

@test "CronJob job templates are checked" {
  evaluate $POLICY cronjob-hostpath-var-run.json
  assert_rejected 'CronJob tenant-a/web mounts host paths that reach protected paths: spec.jobTemplate.spec.template.spec.volumes[2] "host" hostPath "/var/run"'
  evaluate $POLICY cronjob-safe.json
  assert_allowed
}

@test "PersistentVolume hostPath is checked" {
  evaluate $POLICY pv-hostpath-var-run-antrea.json
  assert_rejected 'PersistentVolume pv-1 mounts host paths that reach protected paths: spec.hostPath.path "/var/run/antrea" reaches protected path "/var/run/antrea"'
}

@test "PersistentVolume local path is checked" {
  evaluate $POLICY pv-local-run.json
  assert_rejected 'spec.local.path "/run" reaches protected path "/run/antrea"'
}

@test "a safe PersistentVolume is accepted" {
  evaluate $POLICY pv-hostpath-safe.json
  assert_allowed
}

@test "checkPersistentVolumes false skips PersistentVolumes" {
  evaluate $POLICY pv-hostpath-var-run-antrea.json '{"checkPersistentVolumes": false}'
  assert_allowed
}

@test "UPDATE keeps a violation the old object had (a Pod can terminate)" {
  evaluate $POLICY pod-update-existing-violation.json
  assert_allowed
}

@test "UPDATE of a Deployment adding a violation is rejected" {
  evaluate $POLICY deployment-update-new-violation.json
  assert_rejected 'spec.template.spec.volumes[1] "host" hostPath "/" reaches protected path "/var/run/antrea"'
}

@test "UPDATE of a Deployment keeping its violation is accepted" {
  evaluate $POLICY deployment-update-existing-violation.json
  assert_allowed
}

@test "pods/ephemeralcontainers adding a violation is rejected" {
  evaluate $POLICY pod-ephemeral-containers-new-violation.json
  assert_rejected 'spec.volumes[1] "antrea" hostPath "/run/antrea"'
}

@test "procIndirection false accepts /proc links but not parents" {
  evaluate $POLICY pod-hostpath-proc-pid-root.json '{"procIndirection": false}'
  assert_allowed
  evaluate $POLICY pod-hostpath-root.json '{"procIndirection": false}'
  assert_rejected 'hostPath "/" reaches protected path "/var/run/antrea"'
}

@test "custom exemption" {
  evaluate $POLICY pod-custom-exemption.json '{"exemptions": [{"namespace": "monitoring", "serviceAccountName": "node-exporter"}]}'
  assert_allowed
  evaluate $POLICY pod-custom-exemption.json
  assert_rejected 'Pod monitoring/web-1 mounts host paths'
}

@test "custom exemptions replace the default one" {
  evaluate $POLICY antrea-agent-daemonset.json '{"exemptions": [{"namespace": "monitoring", "serviceAccountName": "node-exporter"}]}'
  assert_rejected 'DaemonSet kube-system/antrea-agent mounts host paths'
}

@test "custom protected path" {
  evaluate $POLICY pod-custom-protected-path.json '{"protectedPaths": ["/var/lib/kubelet"]}'
  assert_rejected 'hostPath "/var/lib/kubelet" reaches protected path "/var/lib/kubelet"'
}

@test "custom equivalent paths" {
  evaluate $POLICY pod-hostpath-allowed-var-log.json '{"protectedPaths": ["/srv/antrea"], "equivalentPaths": [["/srv", "/var/log"]]}'
  assert_rejected 'hostPath "/var/log" reaches protected path "/var/log/antrea"'
  evaluate $POLICY pod-hostpath-run-alias.json '{"equivalentPaths": []}'
  assert_allowed
}

@test "malformed volumes are rejected clearly" {
  evaluate $POLICY pod-volumes-not-a-list.json
  assert_rejected 'Pod tenant-a/web-1 cannot be checked: spec.volumes: expected a list of volumes'
}

@test "other kinds are accepted" {
  evaluate $POLICY configmap.json
  assert_allowed
}

@test "settings: relative protected path rejected" {
  evaluate $POLICY pod-hostpath-root.json '{"protectedPaths": ["var/run/antrea"]}'
  assert_invalid_settings 'protectedPaths must contain absolute paths'
}

@test "settings: empty protected paths rejected" {
  evaluate $POLICY pod-hostpath-root.json '{"protectedPaths": []}'
  assert_invalid_settings 'protectedPaths must name at least one path'
}

@test "settings: unknown key rejected" {
  evaluate $POLICY pod-hostpath-root.json '{"protectedPath": ["/x"]}'
  assert_invalid_settings "unknown field \`protectedPath\`"
}

@test "settings: exemption needs both fields" {
  evaluate $POLICY pod-hostpath-root.json '{"exemptions": [{"namespace": "kube-system"}]}'
  assert_invalid_settings "missing field \`serviceAccountName\`"
}
