//! How each rule's rejections read in both editions: a fragment of the Kubewarden message and
//! a regular expression a Gatekeeper message of the same kind matches on both engines (CEL and
//! Rego word some kinds differently). The quick regorus check and the bulk suites for gator
//! classify a Kubewarden rejection with the same table, so both compare the kind of rejection,
//! not only the verdict.

/// A message kind: (fragment of a Kubewarden rejection, expression Gatekeeper's message matches).
pub type MessageKind = (&'static str, &'static str);

const HOSTPATH_GUARD: &[MessageKind] = &[
    ("cannot be checked", "cannot be checked"),
    (
        "mounts host paths that reach protected paths",
        // CEL lists every path in one message, Rego gives one violation a path.
        "mounts (host paths that reach protected paths|a host path that reaches a protected path)",
    ),
];

const STATUS_UPDATES: &[MessageKind] = &[
    (
        ": request.",
        r"request\.(object|oldObject) is (missing or )?not a JSON object",
    ),
    (
        "may only change annotations of",
        "may only change annotations of",
    ),
    (
        "may not change labels or status of",
        "may not change labels or status of",
    ),
    (
        "may not change annotations",
        "may not change annotations .* not in allowedAnnotationKeys",
    ),
    ("is bound to Node", "is bound to Node"),
    ("carries no node-name claim", "carries no node-name claim"),
    ("malformed node-name claim", "malformed node-name claim"),
];

/// The message kinds of `rule` (a directory of `gatekeeper/`).
pub fn message_kinds(rule: &str) -> &'static [MessageKind] {
    match rule {
        "antrea-hostpath-guard" => HOSTPATH_GUARD,
        "antrea-agent-status-updates" => STATUS_UPDATES,
        _ => panic!("{rule}: no Gatekeeper template"),
    }
}
