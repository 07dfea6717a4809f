#!/usr/bin/env bats
# End-to-end cases for the antrea-agent-status-updates policy, evaluated through $KWCTL.

load helpers

POLICY=antrea-agent-status-updates
AGENT=system:serviceaccount:kube-system:antrea-agent

@test "accept: NodePortLocal annotation added by merge patch" {
  evaluate $POLICY pod-annotation-added.json
  assert_allowed
}

@test "accept: annotation added by a full PUT with reordered keys" {
  evaluate $POLICY pod-annotation-full-put.json
  assert_allowed
}

@test "accept: annotation changed" {
  evaluate $POLICY pod-annotation-changed.json
  assert_allowed
}

@test "accept: annotation removed" {
  evaluate $POLICY pod-annotation-removed.json
  assert_allowed
}

@test "accept: network-status annotation" {
  evaluate $POLICY pod-network-status-annotation.json
  assert_allowed
}

@test "accept: Pod without labels (Antrea's rego wrongly denies it)" {
  evaluate $POLICY pod-unlabeled-annotation-added.json
  assert_allowed
}

@test "accept: {} labels versus absent labels" {
  evaluate $POLICY pod-empty-labels-vs-absent.json
  assert_allowed
}

@test "accept: only managedFields, resourceVersion and generation differ" {
  evaluate $POLICY pod-managed-fields-only.json
  assert_allowed
}

@test "accept: annotation on a terminating Pod" {
  evaluate $POLICY pod-terminating-annotation.json
  assert_allowed
}

@test "accept: Node annotation on the agent's own Node" {
  evaluate $POLICY node-annotation-changed.json
  assert_allowed
}

@test "accept: annotation on a Node with 600 images" {
  evaluate $POLICY node-600-images-annotation.json
  assert_allowed
}

@test "accept: kubelet is not restricted" {
  evaluate $POLICY pod-kubelet-status-update.json
  assert_allowed
}

@test "accept: other ServiceAccounts are not restricted" {
  evaluate $POLICY pod-other-service-account-label.json
  assert_allowed
}

@test "accept: Antrea CRD status update is out of scope" {
  evaluate $POLICY antrea-crd-status-update.json
  assert_allowed
}

@test "reject: label added" {
  evaluate $POLICY pod-label-added.json
  assert_rejected "$AGENT may only change annotations of Pod tenant-a/web-1: changed metadata.labels.role"
}

@test "reject: label changed" {
  evaluate $POLICY pod-label-changed.json
  assert_rejected "$AGENT may only change annotations of Pod tenant-a/web-1: changed metadata.labels.app"
}

@test "reject: label removed" {
  evaluate $POLICY pod-label-removed.json
  assert_rejected "changed metadata.labels.app"
}

@test "reject: label changed along with an annotation in one PUT" {
  evaluate $POLICY pod-label-and-annotation.json
  assert_rejected "changed metadata.labels.app"
}

@test "reject: dryRun gets the same verdict" {
  evaluate $POLICY pod-label-dry-run.json
  assert_rejected "changed metadata.labels.app"
}

@test "reject: Pod status changed" {
  evaluate $POLICY pod-status-changed.json
  assert_rejected "changed status.phase"
}

@test "reject: finalizer added" {
  evaluate $POLICY pod-finalizer-added.json
  assert_rejected "may only change annotations of Pod tenant-a/web-1: changed metadata.finalizers"
}

@test "reject: finalizer removed" {
  evaluate $POLICY pod-finalizer-removed.json
  assert_rejected "changed metadata.finalizers"
}

@test "reject: Node allocatable set to zero" {
  evaluate $POLICY node-allocatable-zero.json
  assert_rejected "$AGENT may only change annotations of Node worker-1: changed status.allocatable.pods"
}

@test "reject: Node condition changed" {
  evaluate $POLICY node-condition-changed.json
  assert_rejected "changed status.conditions"
}

@test "reject: owner reference added to a Node" {
  evaluate $POLICY node-owner-reference-added.json
  assert_rejected "changed metadata.ownerReferences"
}

@test "reject: Node label added" {
  evaluate $POLICY node-label-added.json
  assert_rejected 'changed metadata.labels["node-role.kubernetes.io/control-plane"]'
}

@test "mode status-and-labels: finalizers are out of its scope" {
  evaluate $POLICY pod-finalizer-added.json '{"mode": "status-and-labels"}'
  assert_allowed
}

@test "mode status-and-labels: unlabeled Pod annotation accepted" {
  evaluate $POLICY pod-empty-labels-vs-absent.json '{"mode": "status-and-labels"}'
  assert_allowed
}

@test "mode status-and-labels: label change rejected" {
  evaluate $POLICY pod-label-changed.json '{"mode": "status-and-labels"}'
  assert_rejected "$AGENT may not change labels or status of Pod tenant-a/web-1: changed metadata.labels.app"
}

@test "nodeBinding if-present: other Node rejected" {
  evaluate $POLICY node-other-node.json
  assert_rejected "$AGENT is bound to Node worker-2 and may not update Node worker-1"
}

@test "nodeBinding if-present: other Node's Pod rejected" {
  evaluate $POLICY pod-on-other-node.json
  assert_rejected "$AGENT is bound to Node worker-2 and may not update Pod tenant-a/web-1, which runs on Node worker-1"
}

@test "nodeBinding if-present: unscheduled Pod rejected" {
  evaluate $POLICY pod-unscheduled.json
  assert_rejected "which is not scheduled on any Node"
}

@test "nodeBinding if-present: missing claim accepted" {
  evaluate $POLICY pod-without-node-claim.json
  assert_allowed
}

@test "nodeBinding required: missing claim rejected" {
  evaluate $POLICY pod-without-node-claim.json '{"nodeBinding": "required"}'
  assert_rejected "its token carries no node-name claim (authentication.kubernetes.io/node-name) and nodeBinding is required"
}

@test "nodeBinding required: own node accepted" {
  evaluate $POLICY pod-annotation-added.json '{"nodeBinding": "required"}'
  assert_allowed
}

@test "nodeBinding disabled: other Node accepted" {
  evaluate $POLICY node-other-node.json '{"nodeBinding": "disabled"}'
  assert_allowed
}

@test "allowedAnnotationKeys: exact key accepted" {
  evaluate $POLICY pod-annotation-added.json '{"allowedAnnotationKeys": ["nodeportlocal.antrea.io"]}'
  assert_allowed
}

@test "allowedAnnotationKeys: prefix accepted" {
  evaluate $POLICY node-annotation-changed.json '{"allowedAnnotationKeys": ["node.antrea.io/"]}'
  assert_allowed
}

@test "allowedAnnotationKeys: prefix matches whole segments only" {
  evaluate $POLICY node-unlisted-annotation-changed.json '{"allowedAnnotationKeys": ["node.antrea.io/"]}'
  assert_rejected "may not change annotations node.antrea.io.evil/x of Node worker-1: not in allowedAnnotationKeys"
}

@test "allowedAnnotationKeys: unlisted key added rejected" {
  evaluate $POLICY pod-unlisted-annotation-added.json '{"allowedAnnotationKeys": ["nodeportlocal.antrea.io"]}'
  assert_rejected "may not change annotations example.com/x of Pod tenant-a/web-1"
}

@test "allowedAnnotationKeys: removal of an unlisted key rejected" {
  evaluate $POLICY pod-annotation-removed.json '{"allowedAnnotationKeys": ["nodeportlocal.antrea.io"]}'
  assert_rejected "may not change annotations kubernetes.io/psp of Pod tenant-a/web-1"
}

@test "non-default username: restricted when listed" {
  evaluate $POLICY pod-helm-agent-label.json '{"usernames": ["system:serviceaccount:antrea:antrea-agent"]}'
  assert_rejected "system:serviceaccount:antrea:antrea-agent may only change annotations of Pod tenant-a/web-1"
}

@test "non-default username: annotations still accepted" {
  evaluate $POLICY pod-helm-agent-annotation.json '{"usernames": ["system:serviceaccount:antrea:antrea-agent"]}'
  assert_allowed
}

@test "non-default username: not restricted by default" {
  evaluate $POLICY pod-helm-agent-label.json
  assert_allowed
}

@test "fail closed: missing object" {
  evaluate $POLICY pod-missing-object.json
  assert_rejected "$AGENT may not update Pod tenant-a/web-1: request.object is missing"
}

@test "fail closed: null oldObject" {
  evaluate $POLICY pod-null-old-object.json
  assert_rejected "request.oldObject is missing"
}

@test "fail closed: object that is not an object" {
  evaluate $POLICY pod-object-not-an-object.json
  assert_rejected "request.object is not a JSON object: found a string"
}

@test "settings: empty usernames rejected" {
  evaluate $POLICY pod-annotation-added.json '{"usernames": []}'
  assert_invalid_settings "usernames must name at least one user"
}

@test "settings: unknown key rejected" {
  evaluate $POLICY pod-annotation-added.json '{"usernmes": ["x"]}'
  assert_invalid_settings "unknown field \`usernmes\`"
}

@test "settings: unknown mode rejected" {
  evaluate $POLICY pod-annotation-added.json '{"mode": "labels-only"}'
  assert_invalid_settings "unknown variant \`labels-only\`"
}
