#!/usr/bin/env bats
# The deploy/ manifests evaluated as deployed: `run` on each manifest (kwctl runs a YAML file of
# Kubewarden policies, each with its own module and settings), modules pointed at the local build.
# kwctl 1.35 refuses the two manifests that set spec.allowInsideAdmissionControllerNamespace (its
# parser predates the field): the first case holds $KWCTL to that refusal, the others evaluate
# the manifests without the field (evaluate_manifest in helpers.bash removes it), so that the
# suite passes on kwctl 1.35 and on the runner alike.

load helpers

STATUS="$ROOT/policies/antrea-agent-status-updates/test_data"
HOSTPATH="$ROOT/policies/antrea-hostpath-guard/test_data"
PLACEMENT="$ROOT/policies/antrea-controller-placement/test_data"

# assert_every_message MESSAGE: every response line of the manifest carries exactly MESSAGE,
# so both policies of a manifest are seen to reject for the same volume, path and reason.
assert_every_message() {
  local message
  while IFS= read -r message; do
    if [ "$message" != "$1" ]; then
      echo "message ${message@Q} is not ${1@Q}"
      return 1
    fi
  done < <(jq -r .status.message <<<"$output")
}

@test "kwctl 1.35 refuses the shipped manifests that set allowInsideAdmissionControllerNamespace" {
  local manifest
  for manifest in antrea-agent-status-updates.yaml antrea-hostpath-guard.yaml; do
    grep -Eq '^[[:space:]]+allowInsideAdmissionControllerNamespace: true' "$ROOT/deploy/$manifest"
    run_manifest "$(local_manifest "$manifest")" "$HOSTPATH/pod-hostpath-run-alias.json"
    [ "$status" -eq 1 ]
    # Nothing evaluated, not even the hostPath manifest's first policy, which kwctl can read.
    [ -z "$output" ]
    [[ "$stderr" == *'Error: cannot parse value into ClusterAdmissionPolicy: unknown field `allowInsideAdmissionControllerNamespace`, expected one of'* ]]
  done
}

@test "status updates: the bound agent may annotate Pods on its Node" {
  evaluate_manifest antrea-agent-status-updates.yaml "$STATUS/pod-annotation-added.json"
  [ "$status" -eq 0 ]
  [ "$(responses_allowed)" = true ]
}

@test "status updates: the legacy Secret token is refused by the shipped nodeBinding: required" {
  evaluate_manifest antrea-agent-status-updates.yaml "$STATUS/pod-without-node-claim.json"
  [ "$status" -eq 0 ]
  [ "$(responses_allowed)" = false ]
  [[ "$(response_field .status.message)" == *"its token carries no node-name claim"* ]]
}

@test "status updates: a mixed cluster's nodeBinding: if-present lets the legacy token annotate" {
  evaluate_manifest antrea-agent-status-updates.yaml "$STATUS/pod-without-node-claim.json" 's/nodeBinding: required/nodeBinding: if-present/'
  [ "$status" -eq 0 ]
  [ "$(responses_allowed)" = true ]
}

@test "status updates: if-present still refuses more than annotations from the legacy token" {
  evaluate antrea-agent-status-updates pod-label-added.json '{"nodeBinding": "if-present"}'
  assert_rejected 'may only change annotations'
}

@test "hostPath guard: both policies of the manifest reject a tenant Pod mounting /run" {
  evaluate_manifest antrea-hostpath-guard.yaml "$HOSTPATH/pod-hostpath-run-alias.json"
  [ "$status" -eq 0 ]
  [ "$(responses_allowed)" = "false false" ]
  assert_every_message 'Pod tenant-a/web-1 mounts host paths that reach protected paths: spec.volumes[1] "host" hostPath "/run" reaches protected path "/run/antrea"'
}

@test "hostPath guard: an admin's kubectl debug node Pod is admitted, a controller's is not" {
  evaluate_manifest antrea-hostpath-guard.yaml "$HOSTPATH/pod-debug-node-by-admin.json"
  [ "$(responses_allowed)" = "true true" ]
  evaluate_manifest antrea-hostpath-guard.yaml "$HOSTPATH/pod-debug-node-by-controller.json"
  [ "$(responses_allowed)" = "false false" ]
  assert_every_message 'Pod default/node-debugger-worker-1-x7k2p mounts host paths that reach protected paths: spec.volumes[0] "host-root" hostPath "/" reaches protected path "/var/run/antrea"'
}

@test "hostPath guard: Antrea's agent DaemonSet is admitted as deployed" {
  evaluate_manifest antrea-hostpath-guard.yaml "$HOSTPATH/antrea-agent-daemonset.json"
  [ "$(responses_allowed)" = "true true" ]
}

@test "monitor mode accepts what protect mode rejects" {
  evaluate_manifest antrea-hostpath-guard.yaml "$HOSTPATH/pod-hostpath-run-alias.json" 's/mode: protect/mode: monitor/'
  [ "$status" -eq 0 ]
  [ "$(responses_allowed)" = "true true" ]
  [ "$(jq -r .status <<<"$output" | paste -sd' ')" = "null null" ]
}

@test "placement: Antrea's controller Pod is patched as deployed" {
  evaluate_manifest antrea-controller-placement.yaml "$PLACEMENT/antrea-controller-pod.json"
  [ "$status" -eq 0 ]
  [ "$(responses_allowed)" = true ]
  [ "$(response_field .patchType)" = JSONPatch ]
}

@test "placement: a manifest that forgets mutating: true rejects the mutation" {
  evaluate_manifest antrea-controller-placement.yaml "$PLACEMENT/antrea-controller-pod.json" 's/mutating: true/mutating: false/'
  [ "$(responses_allowed)" = false ]
  [[ "$(response_field .status.message)" == *"The policy attempted to mutate the request, but it is currently configured to not allow mutations."* ]]
}
