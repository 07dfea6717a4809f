# Shared helpers for the bats suites. Every evaluation goes through $KWCTL: kwctl when it is
# installed, else the project's kwctl-compatible runner, so the same suite runs against both.

bats_require_minimum_version 1.5.0

ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)"
if [ -z "${KWCTL:-}" ]; then
  if command -v kwctl >/dev/null 2>&1; then
    KWCTL=kwctl
  else
    KWCTL="$ROOT/target/release/policy-runner"
  fi
fi

# Whether $KWCTL is the project's runner (some host behaviour, such as an execution timeout,
# belongs to policy-server and the runner, not to `kwctl run`).
is_runner() {
  "$KWCTL" --version 2>/dev/null | grep -q '^policy-runner '
}

# evaluate POLICY REQUEST [SETTINGS_JSON]
# Runs the annotated policy on policies/POLICY/test_data/REQUEST; stdout lands in $output,
# stderr in $stderr, the exit code in $status.
evaluate() {
  local policy="$1" request="$2" settings="${3:-}"
  [ -n "$settings" ] || settings='{}'
  run --separate-stderr "$KWCTL" run \
    --request-path "$ROOT/policies/$policy/test_data/$request" \
    --settings-json "$settings" \
    "$ROOT/policies/$policy/annotated-policy.wasm"
  echo "status: $status"
  echo "stdout: $output"
  echo "stderr: $stderr"
}

response_field() {
  jq -r "$1" <<<"$output"
}

assert_allowed() {
  [ "$status" -eq 0 ]
  [ "$(response_field .allowed)" = "true" ]
}

# assert_rejected EXPECTED_MESSAGE_SUBSTRING
assert_rejected() {
  [ "$status" -eq 0 ]
  [ "$(response_field .allowed)" = "false" ]
  local message
  message="$(response_field .status.message)"
  if [[ "$message" != *"$1"* ]]; then
    echo "message ${message@Q} does not contain ${1@Q}"
    return 1
  fi
}

# assert_invalid_settings EXPECTED_MESSAGE_SUBSTRING
assert_invalid_settings() {
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"Provided settings are not valid"* ]]
  if [[ "$stderr" != *"$1"* ]]; then
    echo "stderr ${stderr@Q} does not contain ${1@Q}"
    return 1
  fi
}

# local_manifest MANIFEST: copies deploy/MANIFEST into the test's folder with each module pointed
# at the local build, unchanged otherwise; prints the copy's path.
local_manifest() {
  local manifest="$1"
  local local_copy="$BATS_TEST_TMPDIR/$manifest"
  sed -E "s|module: registry://ghcr.io/antrea-kubewarden/policies/([a-z-]+):v[0-9.]+|module: file://$ROOT/policies/\\1/annotated-policy.wasm|" \
    "$ROOT/deploy/$manifest" >"$local_copy"
  echo "$local_copy"
}

# run_manifest MANIFEST_PATH REQUEST_PATH: `run` on a manifest file; stdout lands in $output (one
# response line per policy), stderr in $stderr, the exit code in $status.
run_manifest() {
  run --separate-stderr "$KWCTL" run --request-path "$2" "$1"
  echo "status: $status"
  echo "stdout: $output"
  echo "stderr: $stderr"
}

# evaluate_manifest MANIFEST REQUEST_PATH [SED_EXPRESSION]
# Evaluates deploy/MANIFEST as deployed (`run` on the manifest: its settings, mode and mutating
# flag), with each module pointed at the local build, as kwctl 1.35 can read it: without
# spec.allowInsideAdmissionControllerNamespace. That field is in the CRD since Kubewarden 1.33,
# but kwctl 1.35's policy parser does not know it and refuses the whole file (the runner does the
# same; deploy-manifests.bats holds both to that refusal). It only tells policy-server which
# namespaces a policy sees, nothing `run` evaluates. It is removed with sed, not a YAML tool: it is
# one `key: value` line of a spec in each manifest, and sed needs nothing the suites do not
# already use (`yq` is a different program on different distributions). SED_EXPRESSION edits the
# manifest next. One response line per policy of the manifest lands in $output.
evaluate_manifest() {
  local manifest="$1" request="$2" edit="${3:-}"
  local local_copy
  local_copy="$(local_manifest "$manifest")"
  sed -i -E '/^[[:space:]]+allowInsideAdmissionControllerNamespace:/d' "$local_copy"
  if [ -n "$edit" ]; then sed -i -E "$edit" "$local_copy"; fi
  run_manifest "$local_copy" "$request"
}

# responses_allowed: the `allowed` of every response line, space separated
responses_allowed() {
  jq -r .allowed <<<"$output" | paste -sd' '
}
