//! Exclude patterns for tree ingests, in gitignore's syntax (docs/FORMAT.md §9b does not
//! store them: they only decide what a walk leaves out). One implementation for every
//! host, so `--exclude` means the same in the CLI, Node and Deno.
//!
//! - A pattern without `/` (but for a trailing one) matches a name at any depth: `*.o`,
//!   `node_modules`. One with a `/` is anchored at the tree's root: `/build`, `doc/*.tmp`.
//! - A trailing `/` matches only directories: `cache/`.
//! - `*` and `?` match within one name, `**` across directories, `[abc]`/`[a-z]`/`[!x]`
//!   one character of a set, `{a,b}` either (glob-match's syntax).
//! - `!` re-includes what an earlier pattern excluded; the last pattern that matches
//!   decides. An excluded directory is not entered, so nothing below it can come back.
//! - Empty patterns and those starting with `#` are ignored (comments of an exclude file).
//!
//! Paths are matched as text: bytes that are not UTF-8 are replaced first.

/// One parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    glob: String,
    negate: bool,
    dir_only: bool,
}

/// A list of exclude patterns, compiled once per ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excludes {
    rules: Vec<Rule>,
}

impl Excludes {
    /// Parses patterns in the order given.
    pub fn parse(patterns: &[String]) -> Result<Excludes, String> {
        let mut rules = Vec::new();
        for raw in patterns {
            let p = raw.trim_end_matches([' ', '\t', '\r']);
            if p.is_empty() || p.starts_with('#') {
                continue;
            }
            let (negate, p) = match p.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, p),
            };
            let (dir_only, p) = match p.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, p),
            };
            let anchored = p.contains('/');
            let p = p.trim_start_matches('/');
            if p.is_empty() {
                return Err(format!(
                    "exclude pattern `{raw}` matches nothing: give a name or a path"
                ));
            }
            let glob = if anchored {
                p.to_string()
            } else {
                format!("**/{p}")
            };
            rules.push(Rule {
                glob,
                negate,
                dir_only,
            });
        }
        Ok(Excludes { rules })
    }

    /// True when the entry at `path` (below the tree's root, `/`-separated) is left out.
    pub fn excluded(&self, path: &str, is_dir: bool) -> bool {
        let mut out = false;
        for r in &self.rules {
            if (!r.dir_only || is_dir) && glob_match::glob_match(&r.glob, path) {
                out = !r.negate;
            }
        }
        out
    }

    /// True when there is no pattern.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(patterns: &[&str]) -> Excludes {
        Excludes::parse(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn gitignore_rules() {
        let e = ex(&[
            "*.o",
            "/build",
            "cache/",
            "doc/**/*.tmp",
            "!keep.o",
            "# a comment",
            "",
        ]);
        assert!(e.excluded("a.o", false));
        assert!(e.excluded("src/deep/a.o", false));
        assert!(!e.excluded("src/keep.o", false), "re-included");
        assert!(e.excluded("build", true));
        assert!(!e.excluded("src/build", true), "anchored at the root");
        assert!(e.excluded("x/cache", true));
        assert!(!e.excluded("x/cache", false), "directories only");
        assert!(e.excluded("doc/a/b/c.tmp", false));
        assert!(e.excluded("doc/c.tmp", false));
        assert!(!e.excluded("src/doc/c.tmp", false));
        assert!(!e.excluded("a.c", false));
        assert!(ex(&[]).is_empty());
        assert!(Excludes::parse(&["/".to_string()]).is_err());
        assert!(ex(&["[ab].txt"]).excluded("d/b.txt", false));
        assert!(ex(&["{x,y}"]).excluded("y", false));
    }
}
