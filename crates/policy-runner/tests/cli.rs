//! End-to-end tests of the `policy-runner` binary, driven by the test-only guest module.

mod common;

use common::{runner, test_guest, workspace};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use rstest::rstest;
use serde_json::{json, Value};

fn scratch(name: &str) -> PathBuf {
    let dir = workspace().join("target/policy-runner-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

fn write(name: &str, content: &[u8]) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn request() -> Value {
    json!({
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE",
        "namespace": "default",
        "name": "nginx",
        "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx"}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}},
        "oldObject": null,
        "dryRun": null,
    })
}

fn run_behaviour(behaviour: &str, extra: &[&str]) -> Output {
    let request = write(
        &format!("request-{behaviour}.json"),
        request().to_string().as_bytes(),
    );
    let settings = json!({"behaviour": behaviour}).to_string();
    let mut args = vec![
        "run",
        "-r",
        request.to_str().unwrap(),
        "--settings-json",
        &settings,
    ];
    args.extend_from_slice(extra);
    args.push(test_guest().to_str().unwrap());
    runner(&args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn response(output: &Output) -> Value {
    assert!(output.status.success(), "stderr: {}", stderr(output));
    let text = stdout(output);
    assert_eq!(text.lines().count(), 1, "exactly one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn accept_prints_kwctl_response_line() {
    let output = run_behaviour("accept", &[]);
    assert_eq!(
        stdout(&output),
        "{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"allowed\":true,\"auditAnnotations\":null,\"warnings\":null}\n"
    );
}

#[test]
fn reject_prints_status_in_kwctl_order() {
    let output = run_behaviour("reject", &[]);
    assert_eq!(
        stdout(&output),
        "{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"allowed\":false,\"status\":{\"message\":\"rejected by test guest\",\"code\":403},\"auditAnnotations\":null,\"warnings\":null}\n"
    );
    assert!(output.status.success());
}

#[test]
fn mutation_becomes_base64_json_patch() {
    let answer = response(&run_behaviour("mutate", &[]));
    assert_eq!(answer["allowed"], json!(true));
    assert_eq!(answer["patchType"], json!("JSONPatch"));
    let patch = base64::engine::general_purpose::STANDARD
        .decode(answer["patch"].as_str().unwrap())
        .unwrap();
    let patch: Value = serde_json::from_slice(&patch).unwrap();
    assert_eq!(
        patch,
        json!([{"op": "add", "path": "/metadata/labels", "value": {"mutated": "true"}}])
    );
}

#[test]
fn policy_logs_go_to_stderr() {
    let output = run_behaviour("log", &[]);
    assert_eq!(response(&output)["allowed"], json!(true));
    assert!(
        stderr(&output).contains("hello from the test guest"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn request_reaches_policy_as_kwctl_builds_it() {
    let answer = response(&run_behaviour("echo", &[]));
    let echoed: Value =
        serde_json::from_str(answer["status"]["message"].as_str().unwrap()).unwrap();
    let keys: Vec<&str> = echoed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // null optional fields (oldObject, dryRun) are left out
    assert_eq!(
        keys,
        [
            "kind",
            "name",
            "namespace",
            "object",
            "operation",
            "resource",
            "uid",
            "userInfo"
        ]
    );
    assert_eq!(
        echoed["userInfo"],
        json!({"username": "alice", "groups": ["system:authenticated"]})
    );
}

#[rstest]
#[case::host_capability("host-call", "internal server error: ")]
#[case::trap("trap", "internal server error: ")]
#[case::bad_response(
    "bad-response",
    "internal server error: cannot deserialize policy response"
)]
fn guest_failures_become_500(#[case] behaviour: &str, #[case] message: &str) {
    let answer = response(&run_behaviour(behaviour, &[]));
    assert_eq!(answer["allowed"], json!(false));
    assert_eq!(answer["status"]["code"], json!(500));
    let text = answer["status"]["message"].as_str().unwrap();
    assert!(text.starts_with(message), "{text}");
}

#[test]
fn host_capabilities_are_refused_by_name() {
    let answer = response(&run_behaviour("host-call", &[]));
    let text = answer["status"]["message"].as_str().unwrap();
    assert!(
        text.contains("host capability kubewarden/kubernetes/list_resources_all is not available"),
        "{text}"
    );
}

#[test]
fn endless_loop_hits_the_deadline() {
    let answer = response(&run_behaviour("loop", &["--execution-timeout", "0.3"]));
    assert_eq!(answer["status"]["code"], json!(500));
    let text = answer["status"]["message"].as_str().unwrap();
    assert!(
        text.contains("guest code interrupted, execution deadline exceeded"),
        "{text}"
    );
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    let answer = response(&run_behaviour("allocate", &["--memory-limit", "64"]));
    assert_eq!(answer["allowed"], json!(false));
    assert_eq!(answer["status"]["code"], json!(500));
}

#[test]
fn invalid_settings_exit_1() {
    let output = run_behaviour("invalid-settings", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "Error: Provided settings are not valid: \"behaviour invalid-settings is never valid\"\n"
    );
}

#[test]
fn settings_from_yaml_file() {
    let settings = write("settings.yaml", b"behaviour: reject\n");
    let request = write("request-yaml.json", request().to_string().as_bytes());
    let output = runner(&[
        "run",
        "-r",
        request.to_str().unwrap(),
        "-s",
        settings.to_str().unwrap(),
        test_guest().to_str().unwrap(),
    ]);
    assert_eq!(response(&output)["allowed"], json!(false));
}

#[test]
fn admission_review_from_stdin_and_file_uri() {
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request()});
    let uri = format!("file://{}", test_guest().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_policy-runner"))
        .args(["run", "-r", "-", &uri])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(review.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(response(&output)["allowed"], json!(true));
}

fn assert_one_line_error(output: &Output, expected: &str) {
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(output));
    assert_eq!(stdout(output), "");
    let text = stderr(output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("Error: "), "{text}");
    assert!(
        text.contains(expected),
        "{text:?} does not contain {expected:?}"
    );
}

#[rstest]
#[case::missing_uid(
    "uid",
    "cannot build AdmissionRequest object from given input: missing field `uid`"
)]
#[case::missing_kind(
    "kind",
    "cannot build AdmissionRequest object from given input: missing field `kind`"
)]
#[case::missing_operation(
    "operation",
    "cannot build AdmissionRequest object from given input: missing field `operation`"
)]
#[case::missing_user_info(
    "userInfo",
    "cannot build AdmissionRequest object from given input: missing field `userInfo`"
)]
fn incomplete_request(#[case] field: &str, #[case] expected: &str) {
    let mut incomplete = request();
    incomplete.as_object_mut().unwrap().remove(field);
    let path = write(
        &format!("incomplete-{field}.json"),
        incomplete.to_string().as_bytes(),
    );
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            path.to_str().unwrap(),
            test_guest().to_str().unwrap(),
        ]),
        expected,
    );
}

#[test]
fn missing_request_file() {
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            "/nonexistent/request.json",
            test_guest().to_str().unwrap(),
        ]),
        "cannot read request file /nonexistent/request.json",
    );
}

#[test]
fn request_not_json() {
    let path = write("not-json.json", b"{\"uid\": ");
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            path.to_str().unwrap(),
            test_guest().to_str().unwrap(),
        ]),
        // kwctl's wording: serde_json's message alone.
        "Error: EOF while parsing a value at line 1 column 8",
    );
}

#[test]
fn missing_module() {
    let path = write(
        "request-missing-module.json",
        request().to_string().as_bytes(),
    );
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            path.to_str().unwrap(),
            "/nonexistent/policy.wasm",
        ]),
        "cannot read policy module /nonexistent/policy.wasm",
    );
}

#[rstest]
#[case::not_wasm(b"this is not wasm".as_slice(), "not a valid WebAssembly module")]
#[case::empty_module(b"\0asm\x01\0\0\0".as_slice(), "not a Kubewarden waPC policy")]
fn module_that_is_not_a_policy(#[case] module: &[u8], #[case] expected: &str) {
    let module = write(&format!("module-{}.wasm", expected.len()), module);
    let request = write(
        &format!("request-module-{}.json", expected.len()),
        request().to_string().as_bytes(),
    );
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            request.to_str().unwrap(),
            module.to_str().unwrap(),
        ]),
        expected,
    );
}

#[test]
fn unsupported_uri_scheme_is_refused_clearly() {
    let request = write("request-scheme.json", request().to_string().as_bytes());
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            request.to_str().unwrap(),
            "https://example.com/policy.wasm",
        ]),
        "unsupported policy URI scheme https://",
    );
}

#[test]
fn unreachable_registry_is_one_line_error() {
    let request = write("request-registry.json", request().to_string().as_bytes());
    // Port 9 on loopback: nothing listens, and plain HTTP is allowed there.
    assert_one_line_error(
        &runner(&[
            "run",
            "-r",
            request.to_str().unwrap(),
            "registry://127.0.0.1:9/policies/x:v1",
        ]),
        "cannot pull registry://127.0.0.1:9/policies/x:v1",
    );
}

const METADATA: &str = r#"
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods/status", "nodes/status"]
    operations: ["UPDATE"]
mutating: false
backgroundAudit: false
executionMode: kubewarden-wapc
annotations:
  io.kubewarden.policy.title: test-guest
  io.kubewarden.policy.version: 0.0.1
"#;

#[test]
fn annotate_then_inspect_round_trip() {
    let metadata = write("metadata.yml", METADATA.as_bytes());
    let usage = write("usage.md", b"# Usage\nSet `behaviour`.\n");
    let annotated = scratch("annotated.wasm");
    let output = runner(&[
        "annotate",
        "-m",
        metadata.to_str().unwrap(),
        "-u",
        usage.to_str().unwrap(),
        "-o",
        annotated.to_str().unwrap(),
        test_guest().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Annotating an annotated module replaces the section instead of adding a second one.
    let twice = scratch("annotated-twice.wasm");
    let output = runner(&[
        "annotate",
        "-m",
        metadata.to_str().unwrap(),
        "-o",
        twice.to_str().unwrap(),
        annotated.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = std::fs::read(&twice).unwrap();
    let occurrences = bytes
        .windows(b"io.kubewarden.metadata".len())
        .filter(|w| w == b"io.kubewarden.metadata")
        .count();
    assert_eq!(occurrences, 1);

    let output = runner(&["inspect", "-o", "json", annotated.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let metadata: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(metadata["protocolVersion"], json!("v1"));
    assert_eq!(
        metadata["rules"][0]["resources"],
        json!(["pods/status", "nodes/status"])
    );
    assert_eq!(metadata["backgroundAudit"], json!(false));
    assert_eq!(
        metadata["annotations"]["io.kubewarden.policy.usage"],
        json!("# Usage\nSet `behaviour`.\n")
    );

    let pretty = stdout(&runner(&["inspect", annotated.to_str().unwrap()]));
    let line = |label: &str| {
        pretty
            .lines()
            .find(|l| l.starts_with(label))
            .map(|l| l[label.len()..].trim().to_string())
    };
    assert_eq!(line("title:").as_deref(), Some("test-guest"), "{pretty}");
    assert_eq!(line("protocol version:").as_deref(), Some("1"), "{pretty}");
    assert_eq!(
        line("background audit support:").as_deref(),
        Some("false"),
        "{pretty}"
    );
    assert!(pretty.contains("pods/status"), "{pretty}");
    assert!(pretty.contains("Set `behaviour`."), "{pretty}");

    // The annotated module still evaluates.
    let request = write("request-annotated.json", request().to_string().as_bytes());
    let output = runner(&[
        "run",
        "-r",
        request.to_str().unwrap(),
        annotated.to_str().unwrap(),
    ]);
    assert_eq!(response(&output)["allowed"], json!(true));
}

#[rstest]
#[case::wildcard_mixed("rules:\n  - apiGroups: [\"\", \"*\"]\n    apiVersions: [v1]\n    resources: [pods]\n    operations: [CREATE]\nmutating: false\n", "Metadata is invalid: rules[0]: apiGroups: no other elements can be defined when '*' is used")]
#[case::unknown_operation("rules:\n  - apiGroups: [\"\"]\n    apiVersions: [v1]\n    resources: [pods]\n    operations: [PATCH]\nmutating: false\n", "cannot parse metadata file")]
#[case::unknown_field(
    "rules: []\nmutating: false\nbackgroundAudits: true\n",
    "unknown field `backgroundAudits`"
)]
fn annotate_rejects_invalid_metadata(#[case] metadata: &str, #[case] expected: &str) {
    let path = write(
        &format!("bad-metadata-{}.yml", metadata.len()),
        metadata.as_bytes(),
    );
    let out = scratch(&format!("bad-{}.wasm", metadata.len()));
    assert_one_line_error(
        &runner(&[
            "annotate",
            "-m",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            test_guest().to_str().unwrap(),
        ]),
        expected,
    );
}

#[test]
fn inspect_unannotated_module() {
    assert_one_line_error(
        &runner(&["inspect", test_guest().to_str().unwrap()]),
        "No Kubewarden metadata found inside of",
    );
}
