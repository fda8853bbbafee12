//! Where a repository is: a path, or a URL naming a storage (docs/DESIGN.md §22).
//!
//! `REPO` on the command line is one of
//! - a plain path or `file:///path`: a directory ([`FsStorage`]);
//! - `s3://BUCKET[/PREFIX]`: objects under PREFIX in an S3-compatible bucket ([`S3Storage`]),
//!   with endpoint, region and credentials from the `AWS_*` environment;
//! - `http://…` or `https://…`: a repository served over HTTP, read-only ([`HttpStorage`]).
//!
//! A command that is given no REPO (neither `-r/--repo` nor a positional one) takes it from
//! [`REPOSITORY_ENV`], as restic takes `RESTIC_REPOSITORY`. Credentials never belong in a
//! location: one that carries them is refused, so a location is safe to print anywhere.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{CliError, Result};
use crate::storage::ahead;
use crate::storage::fs::FsStorage;
use crate::storage::http::HttpStorage;
use crate::storage::s3::S3Storage;
use crate::storage::SharedStorage;

/// The environment variable that names the repository when a command is given none.
pub const REPOSITORY_ENV: &str = "CAIRN_REPOSITORY";

/// A parsed repository location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory on this machine.
    Path(PathBuf),
    /// Objects under `prefix` (empty, or ending in `/`) in an S3-compatible bucket.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix of the repository's objects: `""` or `dir/…/`.
        prefix: String,
    },
    /// A repository served over HTTP(S): the URL of its root, ending in `/`.
    Http(String),
}

/// Why a location could not be used.
fn invalid(message: String) -> CliError {
    CliError::Location(message)
}

impl Location {
    /// Parses a location as given on the command line or in [`REPOSITORY_ENV`].
    pub fn parse(given: &OsStr) -> Result<Location> {
        let Some(s) = given.to_str() else {
            // Only a path can be something other than UTF-8.
            return Ok(Location::Path(PathBuf::from(given)));
        };
        if s.is_empty() {
            return Err(invalid(
                "the repository location is empty: give a path, file://, s3:// or http(s):// URL".into(),
            ));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Ok(Location::Path(PathBuf::from(given)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" => parse_file(rest),
            "s3" => parse_s3(rest),
            "http" | "https" => parse_http(scheme, rest),
            other => Err(invalid(format!(
                "unknown repository location scheme `{other}://`: use a path, file://, s3:// or http(s)://"
            ))),
        }
    }

    /// The directory, for a location on this machine.
    pub fn local_path(&self) -> Option<&Path> {
        match self {
            Location::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the engine may write here (every location but HTTP).
    pub fn writable(&self) -> bool {
        !matches!(self, Location::Http(_))
    }

    /// The storage this location names; a directory follows symbolic links inside it only
    /// when `follow_symlinks` says so. Nothing is contacted yet, except that S3
    /// credentials and region are read from the environment.
    pub fn open(&self, follow_symlinks: bool) -> Result<SharedStorage> {
        Ok(match self {
            Location::Path(p) => Arc::new(FsStorage::new(p).following_links(follow_symlinks)),
            Location::S3 { bucket, prefix } => ahead::far(Arc::new(S3Storage::from_env(bucket, prefix)?)),
            Location::Http(url) => ahead::far(Arc::new(HttpStorage::new(url)?)),
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Location::Http(url) => f.write_str(url),
        }
    }
}

fn parse_file(rest: &str) -> Result<Location> {
    let path = match rest.split_once('/') {
        Some(("" | "localhost", path)) => format!("/{path}"),
        _ => {
            return Err(invalid(format!(
                "file://{rest} names another host: a file:// location is file:///ABSOLUTE/PATH"
            )))
        }
    };
    Ok(Location::Path(PathBuf::from(path)))
}

fn no_credentials(what: &str, authority: &str) -> Result<()> {
    if authority.contains('@') {
        return Err(invalid(format!(
            "{what} location carries credentials (`…@`): leave them out, and set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead"
        )));
    }
    Ok(())
}

fn parse_s3(rest: &str) -> Result<Location> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    no_credentials("an s3://", bucket)?;
    if bucket.is_empty()
        || !bucket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(invalid(format!(
            "`s3://{rest}` names no valid bucket: write s3://BUCKET/PREFIX (letters, digits, `-`, `.`, `_`)"
        )));
    }
    let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    let plain = |p: &&str| {
        *p != "." && *p != ".." && p.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    if !parts.iter().all(plain) {
        return Err(invalid(format!(
            "the prefix of `s3://{rest}` must be plain names separated by `/` (letters, digits, `-`, `_`, `.`, `~`; \
             not `.` or `..`)"
        )));
    }
    let prefix = parts.iter().map(|p| format!("{p}/")).collect();
    Ok(Location::S3 {
        bucket: bucket.to_string(),
        prefix,
    })
}

fn parse_http(scheme: &str, rest: &str) -> Result<Location> {
    let authority = rest.split('/').next().unwrap_or("");
    no_credentials("an http(s)://", authority)?;
    if authority.is_empty() {
        return Err(invalid(format!("`{scheme}://{rest}` names no host")));
    }
    if rest.contains(['?', '#']) {
        return Err(invalid(format!(
            "`{scheme}://{rest}` has a query or fragment: give the URL of the repository's root directory"
        )));
    }
    let mut url = format!("{}://{rest}", scheme.to_ascii_lowercase());
    if !url.ends_with('/') {
        url.push('/');
    }
    Ok(Location::Http(url))
}

/// Picks the repository among a command's positional arguments: `positionals` as given
/// (REPO first, when there), `others` how many the command takes besides REPO.
///
/// With `-r/--repo` every positional is one of the others. Without it, REPO is the first
/// positional when all `others + 1` are given, and otherwise comes from
/// [`REPOSITORY_ENV`] (`env`) when that is set, else from the first positional again;
/// with none of them, the command names none and fails.
pub fn resolve(
    flag: Option<&OsStr>,
    env: Option<OsString>,
    mut positionals: Vec<OsString>,
    others: usize,
) -> Result<(Location, Vec<OsString>)> {
    let given = match flag {
        Some(f) => f.to_os_string(),
        None if positionals.len() > others => positionals.remove(0),
        None => match env.filter(|e| !e.is_empty()) {
            Some(e) => e,
            None if !positionals.is_empty() => positionals.remove(0),
            None => {
                return Err(invalid(format!(
                    "no repository given: name it (a path, s3://BUCKET/PREFIX or http(s):// URL) as REPO, \
                     with -r/--repo, or in {REPOSITORY_ENV}"
                )))
            }
        },
    };
    if positionals.len() > others {
        return Err(invalid(format!(
            "`{}` is one argument too many: the repository is already given with -r/--repo",
            positionals[others].to_string_lossy()
        )));
    }
    Ok((Location::parse(&given)?, positionals))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Location> {
        Location::parse(OsStr::new(s))
    }

    fn s3(bucket: &str, prefix: &str) -> Location {
        Location::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn paths_and_urls() {
        assert_eq!(parse("repo").unwrap(), Location::Path("repo".into()));
        assert_eq!(parse("/a/b").unwrap(), Location::Path("/a/b".into()));
        assert_eq!(parse("file:///a/b").unwrap(), Location::Path("/a/b".into()));
        assert_eq!(parse("file://localhost/a").unwrap(), Location::Path("/a".into()));
        assert_eq!(parse("s3://bkt").unwrap(), s3("bkt", ""));
        assert_eq!(parse("s3://bkt/").unwrap(), s3("bkt", ""));
        assert_eq!(parse("s3://bkt/a//b/").unwrap(), s3("bkt", "a/b/"));
        assert_eq!(parse("S3://bkt/a").unwrap(), s3("bkt", "a/"));
        assert_eq!(
            parse("https://example.org/backups/repo").unwrap(),
            Location::Http("https://example.org/backups/repo/".into())
        );
        assert_eq!(parse("s3://bkt/a/b").unwrap().to_string(), "s3://bkt/a/b/");
    }

    #[test]
    fn bad_locations_are_refused_with_a_reason() {
        for (bad, says) in [
            ("", "empty"),
            ("ftp://host/x", "scheme"),
            ("file://other/x", "another host"),
            ("s3://", "no valid bucket"),
            ("s3://key:secret@bkt/x", "credentials"),
            ("s3://bkt/../x", "plain names"),
            ("http://user:pw@host/x", "credentials"),
            ("http:///x", "no host"),
            ("https://host/x?y=1", "query"),
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains("secret") && !e.contains(":pw"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_repository_comes_from_the_flag_the_positionals_or_the_environment() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let env = || Some(OsString::from("s3://env/r"));
        let (l, rest) = resolve(None, env(), os(&["repo", "latest"]), 1).unwrap();
        assert_eq!((l, rest), (Location::Path("repo".into()), os(&["latest"])));
        let (l, rest) = resolve(None, env(), os(&["latest"]), 1).unwrap();
        assert_eq!((l, rest), (s3("env", "r/"), os(&["latest"])));
        let (l, rest) = resolve(Some(OsStr::new("f")), env(), os(&["latest"]), 1).unwrap();
        assert_eq!((l, rest), (Location::Path("f".into()), os(&["latest"])));
        let (l, _) = resolve(None, env(), os(&[]), 0).unwrap();
        assert_eq!(l, s3("env", "r/"));
        let (l, _) = resolve(None, env(), os(&["mine"]), 0).unwrap();
        assert_eq!(
            l,
            Location::Path("mine".into()),
            "a positional REPO wins over the environment"
        );
        let (l, rest) = resolve(None, None, os(&["repo"]), 1).unwrap();
        assert_eq!(
            (l, rest),
            (Location::Path("repo".into()), os(&[])),
            "REPO without the optional PATH"
        );
        let e = resolve(None, None, os(&[]), 0).unwrap_err().to_string();
        assert!(e.contains(REPOSITORY_ENV), "{e}");
        let e = resolve(Some(OsStr::new("f")), None, os(&["repo", "latest"]), 1).unwrap_err();
        assert!(e.to_string().contains("too many"), "{e}");
    }
}
