//! Writes the bulk parity suites that `make gatekeeper-parity` has gator's engines judge, under
//! `DIR/generated/<rule>/` and `DIR/regressions/<rule>/`. Per rule: every fixture under each of
//! 16 settings values (the fixture parity tests' four, then generated ones; one constraint
//! each), GENERATED (10 000) generated requests spread over them (the rule's generator, one in
//! four then given a wrong-typed value, `retype`), and each regression (`regressions.json`)
//! under its own settings. A request is reviewed as the webhook reviews it and, its object
//! stored, as audit does; each case expects the Kubewarden policy's verdict and, for a
//! rejection, a message of its kind. proptest's deterministic RNG: the same suites every run.
//!
//! ```text
//! cargo run -p gatekeeper-parity --example bulk-suites -- DIR [GENERATED]
//! ```

mod retype;

use std::path::Path;

use gatekeeper_parity::bulk::{self, Bucket, Expect};
use gatekeeper_parity::message_kinds;
use gatekeeper_parity::regressions::regressions;
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

/// Settings values per rule, each one constraint: the fixture parity tests' values, then
/// generated ones.
const BUCKETS: usize = 16;

/// A rule: its policy and corpus (how its rejections read: `message_kinds`).
struct Rule {
    name: &'static str,
    evaluate: fn(&Value, &Value) -> Result<(), String>,
    fixtures: Vec<Value>,
    fixed_settings: Vec<Value>,
    settings: BoxedStrategy<Value>,
    request: BoxedStrategy<Value>,
    /// Whether generated requests are also reviewed as stored objects. Fixtures and regressions
    /// always are; the status-updates template judges changes, never a stored object (its
    /// fixtures pin that), so only hostPath's audit is worth 10 000 more reviews.
    audit_generated: bool,
    /// Members the rule reads, to retype.
    read: &'static [&'static str],
}

fn hostpath_guard() -> Rule {
    use antrea_hostpath_guard::{evaluate, generators};
    Rule {
        name: "antrea-hostpath-guard",
        evaluate: |request, settings| gatekeeper_parity::kubewarden(evaluate, request, settings),
        fixtures: generators::fixtures(),
        fixed_settings: vec![
            json!({}),
            json!({"procIndirection": false, "checkPersistentVolumes": false}),
            json!({"exemptions": [{"namespace": "monitoring", "serviceAccountName": "node-exporter"}], "exemptGroups": ["system:masters"]}),
            json!({"protectedPaths": ["/srv/antrea"], "equivalentPaths": [["/srv", "/var/log"]]}),
        ],
        settings: generators::settings().boxed(),
        request: generators::request().boxed(),
        audit_generated: true,
        read: &[
            "spec",
            "template",
            "jobTemplate",
            "volumes",
            "hostPath",
            "path",
            "type",
            "local",
            "fsType",
            "serviceAccountName",
            "serviceAccount",
            "name",
            "metadata",
            "namespace",
        ],
    }
}

fn status_updates() -> Rule {
    use antrea_agent_status_updates::{evaluate, generators};
    Rule {
        name: "antrea-agent-status-updates",
        evaluate: |request, settings| gatekeeper_parity::kubewarden(evaluate, request, settings),
        fixtures: generators::fixtures(),
        fixed_settings: vec![
            json!({}),
            json!({"nodeBinding": "required"}),
            json!({"mode": "status-and-labels", "nodeBinding": "disabled"}),
            json!({"allowedAnnotationKeys": ["node.antrea.io/", "nodeportlocal.antrea.io"]}),
        ],
        settings: generators::settings().boxed(),
        request: generators::request().boxed(),
        audit_generated: false,
        read: &[
            "metadata",
            "labels",
            "annotations",
            "status",
            "spec",
            "nodeName",
            "finalizers",
            "ownerReferences",
            "name",
            "namespace",
            "resourceVersion",
            "managedFields",
        ],
    }
}

/// The rule's fixed settings, then distinct generated ones, up to BUCKETS.
fn settings_buckets(rule: &Rule, runner: &mut TestRunner) -> Vec<Bucket> {
    let mut settings = rule.fixed_settings.clone();
    for _ in 0..BUCKETS * 100 {
        if settings.len() == BUCKETS {
            break;
        }
        let drawn = rule.settings.new_tree(runner).expect("settings").current();
        if !settings.contains(&drawn) {
            settings.push(drawn);
        }
    }
    settings
        .into_iter()
        .map(|parameters| Bucket {
            parameters,
            cases: Vec::new(),
        })
        .collect()
}

/// The cases of one request under a bucket's settings; false when gator cannot review it.
fn add(rule: &Rule, bucket: &mut Bucket, name: &str, request: &Value, stored_too: bool) -> bool {
    let (parameters, kinds) = (&bucket.parameters, message_kinds(rule.name));
    let verdict = |request: &Value| Expect::of(&(rule.evaluate)(request, parameters), kinds);
    let cases = bulk::cases(name, request, stored_too, verdict);
    let added = !cases.is_empty();
    bucket.cases.extend(cases);
    added
}

/// Every fixture under every bucket, then `generated` requests spread over the buckets.
fn generate(rule: &Rule, generated: usize) -> (Vec<Bucket>, String) {
    let mut runner = TestRunner::deterministic();
    let mut buckets = settings_buckets(rule, &mut runner);
    let mut fixtures = 0;
    for (index, fixture) in rule.fixtures.iter().enumerate() {
        let name = format!("fixture-{index:03}");
        let added = buckets
            .iter_mut()
            .map(|b| add(rule, b, &name, fixture, true));
        fixtures += usize::from(added.fold(false, |any, added| any | added));
    }
    let strategy = (
        rule.request.clone(),
        0..buckets.len(),
        retype::retype(rule.read),
    );
    let (mut reviewed, mut drawn) = (0, 0);
    while reviewed < generated {
        let (mut request, bucket, retype) =
            strategy.new_tree(&mut runner).expect("a request").current();
        let retyped = retype.map_or(String::new(), |r| retype::apply(&mut request, &r));
        drawn += 1;
        let name = format!("generated-{drawn:05}{retyped}");
        let stored_too = rule.audit_generated;
        reviewed += usize::from(add(rule, &mut buckets[bucket], &name, &request, stored_too));
    }
    let summary = format!(
        "{fixtures} fixtures under {} settings, {reviewed} generated requests ({drawn} drawn, \
         the others have no object gator can review)",
        buckets.len()
    );
    (buckets, summary)
}

/// Each regression under its own settings, in a bucket of its own.
fn regression_buckets(rule: &Rule) -> Vec<Bucket> {
    let mut buckets = Vec::new();
    for regression in regressions(rule.name) {
        let request = regression.request();
        let mut bucket = Bucket {
            parameters: regression.settings,
            cases: Vec::new(),
        };
        let added = add(rule, &mut bucket, &regression.name, &request, true);
        assert!(added, "{}: gator cannot review it", regression.name);
        buckets.push(bucket);
    }
    buckets
}

/// Writes one rule's suites (`DIR/generated/<rule>`, `DIR/regressions/<rule>`); prints what
/// they hold.
fn write_rule(dir: &Path, rule: &Rule, generated: usize) {
    let (buckets, summary) = generate(rule, generated);
    let regressions = regression_buckets(rule);
    for (tree, buckets) in [("generated", &buckets), ("regressions", &regressions)] {
        bulk::write(&dir.join(tree), rule.name, buckets)
            .unwrap_or_else(|e| panic!("{}: {e}", rule.name));
    }
    let cases: Vec<&bulk::Case> = buckets
        .iter()
        .chain(&regressions)
        .flat_map(|b| &b.cases)
        .collect();
    let rejected = cases.iter().filter(|c| c.expect != Expect::Allowed).count();
    let unclassified = cases
        .iter()
        .filter(|c| c.expect == Expect::Rejected(None))
        .count();
    println!(
        "{}: {summary}, {} regressions; {} cases, {rejected} rejected ({unclassified} without a \
         message kind)",
        rule.name,
        regressions.len(),
        cases.len(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: bulk-suites DIR [GENERATED]");
        std::process::exit(2);
    };
    let generated = args
        .get(2)
        .map_or(10_000, |n| n.parse().expect("GENERATED: a count"));
    let start = std::time::Instant::now();
    // A thread per rule (its strategies are built there: they are not Send).
    std::thread::scope(|scope| {
        for rule in [hostpath_guard as fn() -> Rule, status_updates] {
            scope.spawn(move || write_rule(Path::new(dir), &rule(), generated));
        }
    });
    println!("written in {:.1}s", start.elapsed().as_secs_f64());
}
