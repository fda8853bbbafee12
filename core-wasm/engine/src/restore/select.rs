//! Which entries of a tree walk are taken, by include and exclude patterns (gitignore's
//! syntax, [`Patterns`]) matched against paths below the item's root: what `restore
//! --include/--exclude` and `find` ask of a walk.
//!
//! - An entry an exclude pattern matches is left out, and an excluded directory is not
//!   entered.
//! - Without includes, every other entry is taken. With them, an entry is taken when an
//!   include matches it or a directory above it; the directories on the way to a taken
//!   entry are taken too, just before it (so a host creates them in order), and a
//!   directory that nothing below can match is not entered.
//! - With `matches_only`, only the entries an include matches are taken (what `find`
//!   lists), and the walk goes on below them; without includes it changes nothing.
//!
//! The walk stays depth-first and in name order; the directories held back while their
//! contents are judged are at most one per level of the current path.

use super::super::tree::pattern::Patterns;

/// What to do with the entry just judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Leave it out.
    Skip,
    /// Hold it back: a directory that is taken only if something below it is.
    Hold,
    /// Take it, after the directories [`Selector::release`] gives.
    Emit,
}

/// The patterns of one walk and where it stands.
pub struct Selector<T> {
    include: Patterns,
    exclude: Patterns,
    matches_only: bool,
    /// The walk's top, below the item's root (`""` for the root).
    prefix: String,
    /// Directories on the current path, by depth: held back (`Some`) or already given.
    held: Vec<(usize, Option<T>)>,
    /// Depth of the taken directory the walk is inside, whose entries are all taken.
    inside: Option<usize>,
}

impl<T> Selector<T> {
    /// A selector for a walk whose top lies at `prefix` below the item's root.
    pub fn new(include: Patterns, exclude: Patterns, matches_only: bool, prefix: String) -> Self {
        Selector {
            include,
            exclude,
            matches_only,
            prefix,
            held: Vec::new(),
            inside: None,
        }
    }

    /// Judges the entry at `depth` whose path below the walk's top is `path`: what to do
    /// with it, and whether to enter it (when it is a directory).
    pub fn judge(&mut self, depth: usize, path: &str, is_dir: bool) -> (Take, bool) {
        self.held.retain(|(d, _)| *d < depth);
        if self.inside.is_some_and(|d| depth <= d) {
            self.inside = None;
        }
        let full = match (self.prefix.is_empty(), path.is_empty()) {
            (true, _) => path.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{path}", self.prefix),
        };
        // The item's root has no path a pattern could name.
        let named = !full.is_empty();
        if named && self.exclude.matches(&full, is_dir) {
            return (Take::Skip, false);
        }
        if self.include.is_empty() {
            return (Take::Emit, is_dir);
        }
        if named && self.include.matches(&full, is_dir) {
            if is_dir && !self.matches_only {
                self.inside = Some(depth);
            }
            return (Take::Emit, is_dir);
        }
        if self.inside.is_some() && !self.matches_only {
            return (Take::Emit, is_dir);
        }
        let enter = is_dir && self.include.may_match_below(&full);
        match (enter, self.matches_only) {
            (true, false) => (Take::Hold, true),
            (true, true) => (Take::Skip, true),
            (false, _) => (Take::Skip, false),
        }
    }

    /// Holds back the directory [`Selector::judge`] answered [`Take::Hold`] for.
    pub fn hold(&mut self, depth: usize, item: T) {
        self.held.push((depth, Some(item)));
    }

    /// The held-back directories on the current path, outermost first, to give before the
    /// entry judged [`Take::Emit`]; each is given once.
    pub fn release(&mut self) -> Vec<T> {
        self.held.iter_mut().filter_map(|(_, t)| t.take()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a selector over a depth-first listing of `(depth, path, is_dir)`, skipping what
    /// it does not enter, and answers the paths taken in order.
    fn run(include: &[&str], exclude: &[&str], matches_only: bool, prefix: &str) -> Vec<String> {
        let tree: &[(usize, &str, bool)] = &[
            (0, "", true),
            (1, "doc", true),
            (2, "doc/a.txt", false),
            (2, "doc/img", true),
            (3, "doc/img/x.png", false),
            (1, "src", true),
            (2, "src/main.c", false),
            (2, "src/net", true),
            (3, "src/net/tcp.c", false),
            (3, "src/net/tcp.h", false),
            (1, "top.c", false),
        ];
        let pats =
            |p: &[&str]| Patterns::parse(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let mut sel = Selector::new(pats(include), pats(exclude), matches_only, prefix.to_string());
        let mut out = Vec::new();
        let mut skip_below: Option<usize> = None;
        for &(depth, path, is_dir) in tree {
            if skip_below.is_some_and(|d| depth > d) {
                continue;
            }
            skip_below = None;
            let (take, enter) = sel.judge(depth, path, is_dir);
            if is_dir && !enter {
                skip_below = Some(depth);
            }
            match take {
                Take::Skip => {}
                Take::Hold => sel.hold(depth, path.to_string()),
                Take::Emit => {
                    out.extend(sel.release());
                    out.push(path.to_string());
                }
            }
        }
        out
    }

    #[test]
    fn everything_without_patterns() {
        assert_eq!(run(&[], &[], false, "").len(), 11);
    }

    #[test]
    fn excludes_leave_out_and_do_not_enter() {
        assert_eq!(
            run(&[], &["doc", "*.h"], false, ""),
            ["", "src", "src/main.c", "src/net", "src/net/tcp.c", "top.c"]
        );
    }

    #[test]
    fn includes_take_matches_their_contents_and_the_way_there() {
        assert_eq!(
            run(&["tcp.c"], &[], false, ""),
            ["", "src", "src/net", "src/net/tcp.c"]
        );
        assert_eq!(
            run(&["/doc"], &["*.png"], false, ""),
            ["", "doc", "doc/a.txt", "doc/img"]
        );
        assert_eq!(run(&["nothing"], &[], false, ""), Vec::<String>::new());
    }

    #[test]
    fn matches_only_is_what_find_lists() {
        assert_eq!(
            run(&["*.c"], &[], true, ""),
            ["src/main.c", "src/net/tcp.c", "top.c"]
        );
        assert_eq!(
            run(&["src/**"], &["*.h"], true, ""),
            ["src/main.c", "src/net", "src/net/tcp.c"],
            "`src/**` names what is inside `src`, not `src` itself"
        );
    }

    #[test]
    fn patterns_match_paths_below_the_item_root() {
        // A walk from `lib` sees `lib/...` paths, so an anchored pattern names `lib`.
        assert_eq!(
            run(&["/lib/src/main.c"], &[], false, "lib"),
            ["", "src", "src/main.c"]
        );
        assert_eq!(run(&["/src/main.c"], &[], false, "lib"), Vec::<String>::new());
    }
}
