#!/usr/bin/env bats
# End-to-end cases for the antrea-controller-placement policy, evaluated through $KWCTL: the
# returned JSONPatch is decoded, applied to the submitted Pod, and the patched Pod checked.

load helpers

POLICY=antrea-controller-placement
CONTROL_PLANE=node-role.kubernetes.io/control-plane

# patched_pod REQUEST: the request's object with the response's JSONPatch applied, in $BATS_TEST_TMPDIR/patched.json
patched_pod() {
  [ "$(response_field .patchType)" = JSONPatch ]
  response_field .patch | base64 -d >"$BATS_TEST_TMPDIR/patch.json"
  jq .object "$ROOT/policies/$POLICY/test_data/$1" >"$BATS_TEST_TMPDIR/pod.json"
  # The jsonpatch library (RFC 6902, every operation), as the API server applies the patch.
  python3 - "$BATS_TEST_TMPDIR/pod.json" "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/patched.json" <<'PY'
import json, sys
import jsonpatch
doc = json.load(open(sys.argv[1]))
patch = jsonpatch.JsonPatch(json.load(open(sys.argv[2])))
print(json.dumps(patch.apply(doc)))
PY
}

pod_field() {
  jq -c "$1" "$BATS_TEST_TMPDIR/patched.json"
}

@test "Antrea's real controller Pod is mutated onto control-plane Nodes" {
  evaluate $POLICY antrea-controller-pod.json
  assert_allowed
  patched_pod antrea-controller-pod.json
  [ "$(pod_field '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms')" = \
    "[{\"matchExpressions\":[{\"key\":\"$CONTROL_PLANE\",\"operator\":\"Exists\"}]}]" ]
  [ "$(pod_field "[.spec.tolerations[] | select(.key == \"$CONTROL_PLANE\" and .operator == \"Exists\" and .effect == \"NoSchedule\")] | length")" = 1 ]
  # Antrea's own settings survive: its nodeSelector and its four tolerations.
  [ "$(pod_field '.spec.nodeSelector')" = '{"kubernetes.io/os":"linux"}' ]
  [ "$(pod_field '.spec.tolerations | length')" = 5 ]
}

@test "every existing required term gets the requirement ANDed in" {
  evaluate $POLICY controller-pod-existing-terms.json
  assert_allowed
  patched_pod controller-pod-existing-terms.json
  [ "$(pod_field '[.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[].matchExpressions | map(.key)]')" = \
    "[[\"kubernetes.io/arch\",\"$CONTROL_PLANE\"],[\"kubernetes.io/arch\",\"$CONTROL_PLANE\"]]" ]
}

@test "preferred terms are left alone" {
  evaluate $POLICY controller-pod-preferred-terms.json
  assert_allowed
  patched_pod controller-pod-preferred-terms.json
  [ "$(pod_field '.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].key')" = '"zone"' ]
  [ "$(pod_field '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms | length')" = 1 ]
}

@test "a Pod already placed is accepted without a patch" {
  evaluate $POLICY controller-pod-placed.json
  assert_allowed
  [ "$(response_field .patch)" = null ]
}

@test "Antrea's agent and tenant Pods are untouched" {
  for request in antrea-agent-pod.json tenant-pod.json kube-system-other-pod.json; do
    evaluate $POLICY $request
    assert_allowed
    [ "$(response_field .patch)" = null ]
  done
}

@test "a preset nodeName is rejected" {
  evaluate $POLICY controller-pod-node-name.json
  assert_rejected 'cannot be placed on secure Nodes: spec.nodeName is preset to worker-1, which bypasses the scheduler'
}

@test "validate mode names what is missing instead of mutating" {
  evaluate $POLICY antrea-controller-pod.json '{"mode": "validate"}'
  assert_rejected "must run on secure Nodes: missing required node affinity $CONTROL_PLANE Exists; toleration $CONTROL_PLANE:NoSchedule"
}

@test "checkWorkloads rejects Antrea's Deployment and never patches it" {
  evaluate $POLICY antrea-controller-deployment.json '{"checkWorkloads": true}'
  assert_rejected 'Deployment kube-system/antrea-controller must run on secure Nodes'
  [ "$(response_field .patch)" = null ]
}

@test "settings are validated strictly" {
  evaluate $POLICY antrea-controller-pod.json '{"secureNodes": [{"key": "pool", "operator": "In"}]}'
  assert_invalid_settings 'secureNodes: pool In needs at least one value'
  evaluate $POLICY antrea-controller-pod.json '{"secureNode": []}'
  assert_invalid_settings 'unknown field `secureNode`'
}
