//! Path patterns in gitignore's syntax: the excludes of tree ingests, and the includes and
//! excludes of walks and restores (docs/FORMAT.md §9b does not store them: they only decide
//! what a walk takes). One implementation for every host, so `--exclude` and `--include`
//! mean the same in the CLI, Node and Deno.
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

/// A list of patterns, compiled once per ingest or walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patterns {
    rules: Vec<Rule>,
}

/// The patterns of a tree ingest, which leave out what they match.
pub type Excludes = Patterns;

/// Characters that make a pattern's name more than a literal name.
const GLOB_CHARS: &[char] = &['*', '?', '[', '{', '\\'];

impl Patterns {
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
                return Err(format!("pattern `{raw}` matches nothing: give a name or a path"));
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
        Ok(Patterns { rules })
    }

    /// True when the last pattern that matches the entry at `path` (below the tree's root,
    /// `/`-separated) is not a `!` one: for excludes, the entry is left out.
    pub fn matches(&self, path: &str, is_dir: bool) -> bool {
        let mut out = false;
        for r in &self.rules {
            if (!r.dir_only || is_dir) && glob_match::glob_match(&r.glob, path) {
                out = !r.negate;
            }
        }
        out
    }

    /// False only when no entry below the directory at `path` can match: each pattern
    /// that could is unanchored, or its leading literal names agree with the directory's.
    /// Lets a walk with includes skip directories that hold nothing it wants.
    pub fn may_match_below(&self, path: &str) -> bool {
        let dir: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        self.rules.iter().filter(|r| !r.negate).any(|r| {
            r.glob
                .split('/')
                .take_while(|c| !c.contains(GLOB_CHARS))
                .zip(&dir)
                .all(|(lit, name)| lit == *name)
        })
    }

    /// True when there is no pattern.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(patterns: &[&str]) -> Patterns {
        Patterns::parse(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
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
        assert!(e.matches("a.o", false));
        assert!(e.matches("src/deep/a.o", false));
        assert!(!e.matches("src/keep.o", false), "re-included");
        assert!(e.matches("build", true));
        assert!(!e.matches("src/build", true), "anchored at the root");
        assert!(e.matches("x/cache", true));
        assert!(!e.matches("x/cache", false), "directories only");
        assert!(e.matches("doc/a/b/c.tmp", false));
        assert!(e.matches("doc/c.tmp", false));
        assert!(!e.matches("src/doc/c.tmp", false));
        assert!(!e.matches("a.c", false));
        assert!(ex(&[]).is_empty());
        assert!(Patterns::parse(&["/".to_string()]).is_err());
        assert!(ex(&["[ab].txt"]).matches("d/b.txt", false));
        assert!(ex(&["{x,y}"]).matches("y", false));
    }

    #[test]
    fn literal_prefixes_bound_the_walk() {
        let p = ex(&["src/net/*.c", "/doc/a.txt"]);
        assert!(p.may_match_below(""));
        assert!(p.may_match_below("src"));
        assert!(p.may_match_below("src/net"));
        assert!(
            p.may_match_below("src/net/deep"),
            "conservative past the literal names"
        );
        assert!(!p.may_match_below("lib"));
        assert!(!p.may_match_below("src/fs"));
        assert!(p.may_match_below("doc"));
        assert!(!p.may_match_below("docs"));
        assert!(ex(&["*.c"]).may_match_below("any/where"), "unanchored");
        assert!(
            !ex(&["!x"]).may_match_below(""),
            "a negation alone selects nothing"
        );
        assert!(!ex(&[]).may_match_below(""));
    }
}
