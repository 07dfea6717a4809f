#!/usr/bin/env bats
# Hostile input through $KWCTL: every case ends with a clear verdict or a one-line error, in
# bounded time (each run is capped by `timeout`) and bounded memory.

load helpers

STATUS="$ROOT/policies/antrea-agent-status-updates"
HOSTPATH="$ROOT/policies/antrea-hostpath-guard"
PLACEMENT="$ROOT/policies/antrea-controller-placement"
TEST_GUEST="$ROOT/target/wasm32-wasip1/release/test_guest.wasm"

# make_request NAME PYTHON_EXPRESSION: writes the request built by the expression (which sees
# `base`, the status fixture pod-annotation-added.json, and `json`) to $BATS_TEST_TMPDIR/NAME.
make_request() {
  python3 - "$BATS_TEST_TMPDIR/$1" "$STATUS/test_data/pod-annotation-added.json" "$2" <<'PY'
import json, sys
out, base_path, expression = sys.argv[1:4]
base = json.load(open(base_path))
result = eval(expression)
mode = "wb" if isinstance(result, bytes) else "w"
with open(out, mode) as f:
    f.write(result if isinstance(result, (bytes, str)) else json.dumps(result))
PY
}

run_policy() {
  local policy="$1" request="$2"
  run --separate-stderr timeout 120 "$KWCTL" run -r "$request" "$policy/annotated-policy.wasm"
  echo "status: $status"; echo "stdout: ${output:0:300}"; echo "stderr: ${stderr:0:300}"
}

assert_one_line_error() {
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [ "$(printf '%s\n' "$stderr" | grep -c '^Error: ')" -eq 1 ]
  if [[ "$stderr" != *"$1"* ]]; then echo "stderr does not contain ${1@Q}"; return 1; fi
}

@test "a 50 MB request from the agent is judged" {
  make_request big.json "dict(base, object=dict(base['object'], metadata=dict(base['object']['metadata'], annotations={'big': 'x' * 50_000_000})))"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/big.json"
  assert_allowed
  run_policy "$HOSTPATH" "$BATS_TEST_TMPDIR/big.json"
  assert_allowed
}

@test "a 50 MB label change by the agent is rejected" {
  make_request big-label.json "dict(base, object=dict(base['object'], metadata=dict(base['object']['metadata'], labels={'big': 'x' * 50_000_000})))"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/big-label.json"
  assert_rejected "changed metadata.labels.app, metadata.labels.big, metadata.labels.pod-template-hash"
}

@test "JSON nested 10 000 deep is refused with one line" {
  make_request deep.json "json.dumps(base)[:-1] + ', \"deep\": ' + '[' * 10000 + ']' * 10000 + '}'"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/deep.json"
  assert_one_line_error "recursion limit exceeded"
}

@test "invalid UTF-8 is refused with one line" {
  make_request utf8.json "json.dumps(base).replace('web-1', 'web-\\xff').encode('latin-1')"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/utf8.json"
  assert_one_line_error "valid UTF-8"
}

@test "duplicate keys get a verdict on the value the API server would keep" {
  make_request duplicate.json "json.dumps(base).replace('\"operation\": \"UPDATE\"', '\"operation\": \"CREATE\", \"operation\": \"UPDATE\"', 1)"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/duplicate.json"
  assert_allowed
  make_request duplicate-label.json "json.dumps(dict(base, object=dict(base['object'], metadata=dict(base['object']['metadata'], labels={'app': 'web', 'pod-template-hash': '7d4b9c'})))).replace('\"app\": \"web\", \"pod-template-hash\"', '\"app\": \"web\", \"app\": \"db\", \"pod-template-hash\"', 1)"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/duplicate-label.json"
  assert_rejected "changed metadata.labels.app"
}

@test "a repeated volumes member is judged on the value the API server would keep" {
  make_request duplicate-volumes.json "json.dumps(dict(base, object=dict(base['object'], spec=dict(base['object']['spec'], volumes='PLACEHOLDER')))).replace('\"volumes\": \"PLACEHOLDER\"', '\"volumes\": [], \"volumes\": [{\"name\": \"h\", \"hostPath\": {\"path\": \"/\"}}]', 1)"
  run_policy "$HOSTPATH" "$BATS_TEST_TMPDIR/duplicate-volumes.json"
  assert_rejected 'spec.volumes[0] "h" hostPath "/" reaches protected path "/var/run/antrea"'
}

@test "numbers out of range are refused with one line" {
  make_request range.json "json.dumps(base).replace('\"resourceVersion\": \"48213\"', '\"resourceVersion\": 1e400', 1)"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/range.json"
  assert_one_line_error "number out of range"
}

@test "huge integers reach the policy and are compared exactly" {
  make_request huge-int.json "json.dumps(dict(base, object=dict(base['object'], spec=dict(base['object']['spec'], terminationGracePeriodSeconds=18446744073709551615))))"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/huge-int.json"
  assert_rejected "changed spec.terminationGracePeriodSeconds"
}

@test "object of the wrong type is rejected by the three policies" {
  make_request wrong-type.json "dict(base, object=[1, 2, 3])"
  run_policy "$STATUS" "$BATS_TEST_TMPDIR/wrong-type.json"
  assert_rejected "request.object is not a JSON object: found a list"
  make_request wrong-type-pod.json "dict(base, operation='CREATE', object='a pod')"
  run_policy "$HOSTPATH" "$BATS_TEST_TMPDIR/wrong-type-pod.json"
  assert_rejected "Pod tenant-a/web-1 cannot be checked: request.object is not a JSON object"
  # Placement reads a Pod only in a controller's namespace.
  make_request wrong-type-controller.json "dict(base, operation='CREATE', namespace='kube-system', object='a pod')"
  run_policy "$PLACEMENT" "$BATS_TEST_TMPDIR/wrong-type-controller.json"
  assert_rejected "cannot parse the admission request: object: expected a JSON object"
}

@test "truncated requests are refused with one line" {
  for cut in 1 100 2000; do
    make_request truncated.json "json.dumps(base)[:-$cut]"
    run_policy "$STATUS" "$BATS_TEST_TMPDIR/truncated.json"
    # kwctl 1.35 and the runner both print serde_json's message alone, e.g.
    # `Error: EOF while parsing an object at line 119 column 7`.
    assert_one_line_error "EOF while parsing"
  done
}

@test "a module that loops forever is stopped" {
  [ -f "$TEST_GUEST" ] || skip "test guest not built (make unit builds it)"
  # `kwctl run` has no execution timeout (policy-server has one, 2 s by default): only the
  # runner's --execution-timeout, which mirrors policy-server, stops the module.
  is_runner || skip "kwctl run has no execution timeout; the runner mirrors policy-server's"
  run --separate-stderr timeout 60 "$KWCTL" run -r "$STATUS/test_data/pod-annotation-added.json" --settings-json '{"behaviour": "loop"}' "$TEST_GUEST"
  [ "$status" -eq 0 ]
  [ "$(response_field .allowed)" = false ]
  [ "$(response_field .status.code)" = 500 ]
}

@test "a module that allocates without bound is stopped" {
  [ -f "$TEST_GUEST" ] || skip "test guest not built (make unit builds it)"
  run --separate-stderr timeout 60 "$KWCTL" run -r "$STATUS/test_data/pod-annotation-added.json" --settings-json '{"behaviour": "allocate"}' "$TEST_GUEST"
  [ "$status" -eq 0 ]
  [ "$(response_field .allowed)" = false ]
  [ "$(response_field .status.code)" = 500 ]
}
