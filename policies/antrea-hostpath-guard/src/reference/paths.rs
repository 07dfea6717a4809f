//! The lexical path rules written again, on plain strings, for the reference: nothing here
//! comes from `crate::paths` or `crate::settings::Rules`, so a mistake in either shows up as a
//! disagreement instead of being shared by both implementations.
//!
//! A path is handled in its normal form, a `String`: `/` then the segments joined by one `/`.

/// `path` in normal form: empty and `.` segments dropped, `..` takes back the segment before it
/// (never above `/`), a relative path is read from `/`.
pub fn normalise(path: &str) -> String {
    let mut normal = String::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                let cut = normal.rfind('/').unwrap_or(0);
                normal.truncate(cut);
            }
            segment => {
                normal.push('/');
                normal.push_str(segment);
            }
        }
    }
    if normal.is_empty() {
        normal.push('/');
    }
    normal
}

/// Whether the normal path `path` is `prefix` or lies below it, by whole segments.
fn under(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path == prefix
        || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// Whether mounting `path` exposes `protected`: one of them contains the other.
fn overlaps(path: &str, protected: &str) -> bool {
    under(path, protected) || under(protected, path)
}

/// `path`, which lies under `from`, respelled under `to`.
fn respell(path: &str, from: &str, to: &str) -> String {
    let rest = match from {
        "/" => path.trim_start_matches('/'),
        from => path[from.len()..].trim_start_matches('/'),
    };
    match (to, rest) {
        (to, "") => to.to_string(),
        ("/", rest) => format!("/{rest}"),
        (to, rest) => format!("{to}/{rest}"),
    }
}

/// Every spelling of the protected paths through the groups of equivalent prefixes, level by
/// level: the configured paths, then each spelling one respelling away (group by group, prefix
/// by prefix, target by target, in configuration order), and so on. Prefixes that nest
/// (`/a` and `/a/a`) spell a path without end: the list stops at
/// `64 + protected × (1 + prefixes)` spellings.
pub fn spellings(protected: &[String], equivalent: &[Vec<String>]) -> Vec<String> {
    let groups: Vec<Vec<String>> = equivalent
        .iter()
        .map(|group| group.iter().map(|p| normalise(p)).collect())
        .collect();
    let prefixes: usize = groups.iter().map(Vec::len).sum();
    let limit = 64 + protected.len() * (1 + prefixes);
    let mut found: Vec<String> = Vec::new();
    let mut level: Vec<String> = protected.iter().map(|p| normalise(p)).collect();
    while !level.is_empty() && found.len() < limit {
        let mut next = Vec::new();
        for path in level {
            if found.contains(&path) || found.len() >= limit {
                continue;
            }
            for group in &groups {
                for from in group.iter().filter(|from| under(&path, from)) {
                    for to in group.iter().filter(|to| *to != from) {
                        next.push(respell(&path, from, to));
                    }
                }
            }
            found.push(path);
        }
        level = next;
    }
    found
}

/// Whether a normal path is `/proc`, or `/proc/<pid>`, `/proc/self`, `/proc/thread-self` or
/// below one of them: their `root`, `cwd` and `fd` links reach the whole host filesystem.
fn through_proc(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/proc") else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('/') else {
        return rest.is_empty();
    };
    let entry = rest.split('/').next().unwrap_or_default();
    entry == "self" || entry == "thread-self" || entry.chars().all(|c| c.is_ascii_digit())
}

/// The first protected spelling a host path reaches, if any; through `/proc`, the first one.
pub fn reached(spellings: &[String], proc_indirection: bool, host_path: &str) -> Option<String> {
    let path = normalise(host_path);
    if proc_indirection && through_proc(&path) {
        return spellings.first().cloned();
    }
    spellings.iter().find(|p| overlaps(&path, p)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::canonical("/var/run/antrea", "/var/run/antrea")]
    #[case::doubled("//var//run///antrea//", "/var/run/antrea")]
    #[case::dots("/./var/log/../run/./antrea", "/var/run/antrea")]
    #[case::above_root("/../../..", "/")]
    #[case::relative("var/run", "/var/run")]
    #[case::empty("", "/")]
    #[case::dot_dot_names("/a/..b/c..", "/a/..b/c..")]
    fn normal_form(#[case] path: &str, #[case] expected: &str) {
        assert_eq!(normalise(path), expected);
    }

    fn strings(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    /// The first spellings, and how many there are in all.
    #[rstest]
    #[case::defaults(&["/var/run/antrea"], vec![vec!["/var/run", "/run"]], &["/var/run/antrea", "/run/antrea"], 2)]
    #[case::breadth_first(&["/x/p", "/y/p"], vec![vec!["/x", "/z"], vec!["/z", "/w"]], &["/x/p", "/y/p", "/z/p", "/w/p"], 4)]
    #[case::nested_prefixes_stop(&["/a"], vec![vec!["/a", "/a/a"]], &["/a", "/a/a", "/a/a/a"], 64 + 3)]
    #[case::root_nests_everything(&["/a"], vec![vec!["/", "/host"]], &["/a", "/host/a", "/host/host/a"], 64 + 3)]
    fn spelled(
        #[case] protected: &[&str],
        #[case] groups: Vec<Vec<&str>>,
        #[case] first: &[&str],
        #[case] count: usize,
    ) {
        let groups: Vec<Vec<String>> = groups.iter().map(|g| strings(g)).collect();
        let found = spellings(&strings(protected), &groups);
        assert_eq!(found[..first.len()], strings(first));
        assert_eq!(found.len(), count);
    }

    #[rstest]
    #[case::parent("/var", Some("/var/run/antrea"))]
    #[case::alias("/run/antrea/x", Some("/run/antrea"))]
    #[case::sibling("/run/antrea-x", None)]
    #[case::proc_pid("/proc/12/root", Some("/var/run/antrea"))]
    #[case::proc_sys("/proc/sys", None)]
    #[case::procfs("/procfs", None)]
    fn reaches_with_defaults(#[case] host_path: &str, #[case] expected: Option<&str>) {
        let spelled = spellings(
            &["/var/run/antrea".to_string()],
            &[vec!["/var/run".to_string(), "/run".to_string()]],
        );
        assert_eq!(reached(&spelled, true, host_path).as_deref(), expected);
    }
}
