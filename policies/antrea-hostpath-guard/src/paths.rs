//! Lexical host-path rules: normalisation, whole-segment overlap and equivalent prefixes.
//!
//! The API server rejects only `..` in hostPath paths, so `//var/run/antrea`,
//! `/var/./run/antrea/` and friends all reach the same directory as `/var/run/antrea`.

/// A normalised absolute path as its segments: `/var/run/antrea` is `["var", "run", "antrea"]`
/// and `/` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalPath(pub Vec<String>);

impl NormalPath {
    /// Collapses repeated `/`, drops `.`, resolves `..` (never above `/`) and trailing `/`.
    /// A relative path is taken from `/`.
    pub fn new(path: &str) -> Self {
        let mut segments: Vec<String> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                other => segments.push(other.to_string()),
            }
        }
        NormalPath(segments)
    }

    /// Whether `self` is `prefix` or below it.
    pub fn starts_with(&self, prefix: &NormalPath) -> bool {
        self.0.len() >= prefix.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }

    /// Whether one path is equal to, under, or a parent of the other.
    pub fn overlaps(&self, other: &NormalPath) -> bool {
        self.starts_with(other) || other.starts_with(self)
    }

    /// `self` with `from` replaced by `to`; `self` must start with `from`.
    fn rebase(&self, from: &NormalPath, to: &NormalPath) -> NormalPath {
        let mut segments = to.0.clone();
        segments.extend_from_slice(&self.0[from.0.len()..]);
        NormalPath(segments)
    }

    /// Whether the path is `/proc`, `/proc/<pid>`, `/proc/self`, `/proc/thread-self` or under
    /// one of them: their `root`, `cwd` and `fd` magic links reach the whole host filesystem.
    pub fn is_proc_indirection(&self) -> bool {
        match self.0.as_slice() {
            [proc] => proc == "proc",
            [proc, entry, ..] => {
                proc == "proc"
                    && (entry == "self"
                        || entry == "thread-self"
                        || entry.bytes().all(|b| b.is_ascii_digit()))
            }
            [] => false,
        }
    }
}

impl std::fmt::Display for NormalPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.0 {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

/// Every spelling of the protected paths through the equivalent prefixes
/// (`/var/run/antrea` is also `/run/antrea` when `/var/run` and `/run` are equivalent).
pub fn expand_protected(
    protected: &[NormalPath],
    equivalent: &[Vec<NormalPath>],
) -> Vec<NormalPath> {
    let mut expanded: Vec<NormalPath> = Vec::new();
    // Breadth first, in configuration order: the configured paths, then their spellings one
    // rewrite away, and so on. Messages name the first spelling a host path reaches, and the
    // CEL editions (cel/antrea-hostpath-guard.yaml) expand in the same order.
    let mut pending: std::collections::VecDeque<NormalPath> = protected.iter().cloned().collect();
    // Each new spelling may itself sit under another group's prefix; the bound keeps a
    // pathological configuration (prefixes that nest into each other) finite.
    let bound = 64 + protected.len() * (1 + equivalent.iter().map(Vec::len).sum::<usize>());
    while let Some(path) = pending.pop_front() {
        if expanded.contains(&path) || expanded.len() >= bound {
            continue;
        }
        for group in equivalent {
            for from in group.iter().filter(|prefix| path.starts_with(prefix)) {
                for to in group.iter().filter(|to| *to != from) {
                    pending.push_back(path.rebase(from, to));
                }
            }
        }
        expanded.push(path);
    }
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn p(path: &str) -> NormalPath {
        NormalPath::new(path)
    }

    #[rstest]
    #[case::canonical("/var/run/antrea", "/var/run/antrea")]
    #[case::double_leading_slash("//var/run/antrea", "/var/run/antrea")]
    #[case::double_inner_slash("/var//run/antrea", "/var/run/antrea")]
    #[case::dot("/var/run/./antrea", "/var/run/antrea")]
    #[case::trailing_slash("/var/run/antrea/", "/var/run/antrea")]
    #[case::trailing_slashes("/var/run/antrea///", "/var/run/antrea")]
    #[case::dot_dot("/var/log/../run/antrea", "/var/run/antrea")]
    #[case::dot_dot_above_root("/../../var/run/antrea", "/var/run/antrea")]
    #[case::relative("var/run/antrea", "/var/run/antrea")]
    #[case::root("/", "/")]
    #[case::root_spelled_oddly("/././/", "/")]
    #[case::empty("", "/")]
    fn normalise(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(p(input).to_string(), expected);
    }

    #[rstest]
    #[case::equal("/var/run/antrea", true)]
    #[case::under("/var/run/antrea/openvswitch", true)]
    #[case::parent("/var/run", true)]
    #[case::grandparent("/var", true)]
    #[case::root("/", true)]
    #[case::sibling_suffix("/var/run/antrea-foo", false)]
    #[case::sibling_glued("/var/run/antreax", false)]
    #[case::sibling_dir("/var/runner", false)]
    #[case::other("/var/log/antrea", false)]
    #[case::prefix_string_but_not_segment("/var/ru", false)]
    fn overlap(#[case] host_path: &str, #[case] expected: bool) {
        assert_eq!(p(host_path).overlaps(&p("/var/run/antrea")), expected);
    }

    #[rstest]
    #[case::proc("/proc", true)]
    #[case::pid("/proc/1", true)]
    #[case::pid_root("/proc/1/root", true)]
    #[case::pid_root_deep("/proc/4242/root/var/run/antrea", true)]
    #[case::self_root("/proc/self/root", true)]
    #[case::thread_self_cwd("/proc/thread-self/cwd", true)]
    #[case::sys("/proc/sys/net", false)]
    #[case::meminfo("/proc/meminfo", false)]
    #[case::not_proc("/procfs/1/root", false)]
    #[case::spelled_oddly("//proc/./1/root/", true)]
    fn proc_indirection(#[case] host_path: &str, #[case] expected: bool) {
        assert_eq!(p(host_path).is_proc_indirection(), expected);
    }

    #[test]
    fn default_equivalence_adds_run_alias() {
        let expanded = expand_protected(&[p("/var/run/antrea")], &[vec![p("/var/run"), p("/run")]]);
        let spelled: Vec<String> = expanded.iter().map(ToString::to_string).collect();
        assert_eq!(spelled, ["/var/run/antrea", "/run/antrea"]);
    }

    #[test]
    fn alias_protected_path_expands_back() {
        let expanded = expand_protected(&[p("/run/antrea")], &[vec![p("/var/run"), p("/run")]]);
        assert!(expanded.contains(&p("/var/run/antrea")));
    }

    #[test]
    fn nested_equivalences_terminate() {
        let expanded = expand_protected(&[p("/a/x")], &[vec![p("/a"), p("/a/a")]]);
        assert!(expanded.contains(&p("/a/a/x")));
        assert!(expanded.len() <= 64 + 3);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::settings::{Rules, Settings};
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("var".to_string()),
            Just("run".to_string()),
            Just("antrea".to_string()),
            Just("antrea-x".to_string()),
            Just("antreax".to_string()),
            Just("runner".to_string()),
            Just("proc".to_string()),
            Just("1".to_string()),
            Just("self".to_string()),
            Just(".".to_string()),
            Just("..".to_string()),
            Just(String::new()),
            "[a-z]{1,4}",
        ]
    }

    fn host_path() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop::collection::vec(segment(), 0..8),
            any::<bool>(),
        )
            .prop_map(|(leading, segments, trailing)| {
                let mut path = if leading {
                    "/".to_string()
                } else {
                    String::new()
                };
                path.push_str(&segments.join("/"));
                if trailing {
                    path.push('/');
                }
                path
            })
    }

    /// The overlap rule stated on strings, independently of the segment code.
    fn oracle(normalised: &str, protected: &[&str]) -> bool {
        normalised == "/"
            || protected.iter().any(|p| {
                normalised == *p
                    || normalised.starts_with(&format!("{p}/"))
                    || p.starts_with(&format!("{normalised}/"))
            })
    }

    fn rules(proc_indirection: bool) -> Rules {
        Rules::from(Settings {
            proc_indirection,
            ..Settings::default()
        })
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(path in host_path()) {
            let once = NormalPath::new(&path);
            prop_assert_eq!(NormalPath::new(&once.to_string()), once);
        }

        #[test]
        fn a_path_and_its_normal_form_get_the_same_verdict(path in host_path(), proc in any::<bool>()) {
            let rules = rules(proc);
            let normal = NormalPath::new(&path).to_string();
            prop_assert_eq!(rules.reached_by(&path), rules.reached_by(&normal));
        }

        #[test]
        fn respelling_never_changes_a_verdict(path in host_path(), at in any::<prop::sample::Index>(), how in 0..3u8, proc in any::<bool>()) {
            let rules = rules(proc);
            let slashes: Vec<usize> = path.match_indices('/').map(|(i, _)| i).collect();
            let respelled = match (how, slashes.is_empty()) {
                (0, false) => { let i = slashes[at.index(slashes.len())]; format!("{}/./{}", &path[..i], &path[i + 1..]) }
                (1, false) => { let i = slashes[at.index(slashes.len())]; format!("{}//{}", &path[..i], &path[i + 1..]) }
                _ => format!("{path}/"),
            };
            prop_assert_eq!(rules.reached_by(&path), rules.reached_by(&respelled), "{} vs {}", path, respelled);
        }

        #[test]
        fn overlap_is_segment_prefix_through_equivalents(path in host_path()) {
            let normal = NormalPath::new(&path).to_string();
            let reached = rules(false).reached_by(&path).is_some();
            prop_assert_eq!(reached, oracle(&normal, &["/var/run/antrea", "/run/antrea"]), "{}", normal);
        }

        #[test]
        fn sibling_names_never_overlap(suffix in "[a-z0-9_-][a-z0-9_./-]{0,12}", base in prop::sample::select(vec!["/var/run/antrea", "/run/antrea"])) {
            prop_assume!(!suffix.contains(".."));
            let path = format!("{base}{suffix}");
            prop_assume!(!path.starts_with(&format!("{base}/")) && NormalPath::new(&path).to_string() != base);
            let rules = rules(true);
            prop_assert_eq!(rules.reached_by(&path), None, "{}", path);
        }
    }
}
