//! A repository served over HTTP(S), read-only (docs/DESIGN.md §22): a static file server
//! over the repository's directory, or a public S3 bucket.
//!
//! Objects are fetched with GET, ranges with a `Range` header; a server that ignores it
//! (Python's `http.server` does) answers the whole object, which is then sliced. Listing
//! reads the server's directory pages, or S3 `ListObjectsV2` pages when the URL is a
//! bucket's, parsed by the engine's [`cairn_core::http_listing`], the one parser every face
//! shares. Every write fails with [`StorageError::ReadOnly`].

use std::io::Read;
use std::sync::OnceLock;
use std::thread;

use cairn_core::host::{Storage, StorageError};
use cairn_core::http_listing::{self, Entry};
use cairn_core::layout;

use super::{attempts, backoff, checked, timeout, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
use crate::error::{CliError, Result};

/// The most bytes reserved up front for a body of declared length: a pack is tens of MiB at
/// most, and a server's word is not enough to reserve more.
const RESERVE_MAX: u64 = 64 << 20;

/// How deep the grammar's keys go (`packs/data/ab/<id>.pack`): listing descends no further.
const MAX_DEPTH: usize = 3;

/// How the server lists a directory, found out on the first listing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lister {
    /// HTML directory pages at the repository's URL.
    Html,
    /// S3 `ListObjectsV2` at `bucket_url` (ending in `/`), keys under `key_prefix`.
    S3 { bucket_url: String, key_prefix: String },
}

/// [`Storage`] over HTTP(S), read-only.
pub struct HttpStorage {
    base: String,
    agent: ureq::Agent,
    lister: OnceLock<Lister>,
}

/// A GET's outcome worth telling apart.
enum Got {
    /// 200 (whole object) or 206 (the range asked for): status and body.
    Body(u16, Vec<u8>),
    /// 404.
    Missing,
    /// 416: the range starts past the end of an object that exists.
    PastEnd,
}

impl HttpStorage {
    /// Storage over the repository whose root is at `base` (an `http(s)://` URL ending in `/`).
    pub fn new(base: &str) -> Result<HttpStorage> {
        if !base.ends_with('/') || !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CliError::Location(format!(
                "`{base}` is not the URL of a directory"
            )));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout(CONNECT_TIMEOUT)))
            .timeout_global(Some(timeout(REQUEST_TIMEOUT)))
            .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(HttpStorage {
            base: base.to_string(),
            agent,
            lister: OnceLock::new(),
        })
    }

    /// GETs `url` (with `range`, a `Range` header value), retrying transient failures.
    fn get_url(&self, what: &str, url: &str, range: Option<&str>) -> Result<Got, StorageError> {
        let tries = attempts();
        let mut last = String::new();
        for n in 0..tries {
            if n > 0 {
                thread::sleep(backoff(n - 1));
            }
            let mut req = self.agent.get(url);
            if let Some(r) = range {
                req = req.header("Range", r);
            }
            let mut resp = match req.call() {
                Ok(resp) => resp,
                Err(e) => {
                    last = format!("cannot reach the server: {e}");
                    continue;
                }
            };
            let status = resp.status().as_u16();
            match status {
                200 | 206 => {
                    // Room for the length the server declares (at most RESERVE_MAX), so the
                    // body is not copied each time it outgrows its buffer.
                    let declared = resp.body().content_length().unwrap_or(0).min(RESERVE_MAX);
                    let mut body = Vec::with_capacity(declared as usize);
                    match resp.body_mut().as_reader().read_to_end(&mut body) {
                        Ok(_) => return Ok(Got::Body(status, body)),
                        Err(e) => last = format!("the connection broke while reading: {e}"),
                    }
                }
                404 => return Ok(Got::Missing),
                416 => return Ok(Got::PastEnd),
                429 | 500..=599 => last = format!("the server answered {status} (busy or failing)"),
                401 | 403 => {
                    return Err(StorageError::Io(format!(
                        "{what}: {url} answered {status} (access denied): check the URL and that the server lets anyone read it"
                    )))
                }
                _ => {
                    return Err(StorageError::Io(format!(
                        "{what}: {url} answered {status}: check the URL"
                    )))
                }
            }
        }
        Err(StorageError::Io(format!(
            "{what}: {url}: {last} (after {tries} attempts): check the URL and the network"
        )))
    }

    fn url_of(&self, key: &str) -> String {
        format!("{}{}", self.base, http_listing::percent_encode(key))
    }

    fn lister(&self) -> Result<&Lister, StorageError> {
        if let Some(l) = self.lister.get() {
            return Ok(l);
        }
        let found = self.find_lister()?;
        Ok(self.lister.get_or_init(|| found))
    }

    /// HTML pages when the root URL answers one; else the first bucket URL (path-style,
    /// then virtual-hosted) whose `ListObjectsV2` answers.
    fn find_lister(&self) -> Result<Lister, StorageError> {
        if let Got::Body(_, body) = self.get_url("list", &self.base, None)? {
            if String::from_utf8_lossy(&body)
                .to_ascii_lowercase()
                .contains("<html")
            {
                return Ok(Lister::Html);
            }
        }
        let (scheme, rest) = self.base.split_once("://").unwrap_or(("http", &self.base));
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut candidates = Vec::new();
        if let Some((bucket, prefix)) = path.split_once('/') {
            candidates.push((format!("{scheme}://{host}/{bucket}/"), prefix.to_string()));
        }
        candidates.push((format!("{scheme}://{host}/"), path.to_string()));
        let mut reason = "it serves no directory listing".to_string();
        for (bucket_url, key_prefix) in candidates {
            let q = http_listing::list_objects_v2_query(&key_prefix, None);
            if let Got::Body(_, body) = self.get_url("list", &format!("{bucket_url}?{q}"), None)? {
                match http_listing::parse_list_objects_v2(&String::from_utf8_lossy(&body)) {
                    Ok(_) => {
                        return Ok(Lister::S3 {
                            bucket_url,
                            key_prefix,
                        })
                    }
                    Err(e) => reason = e,
                }
            }
        }
        Err(StorageError::Io(format!(
            "cannot list {}: {reason}; serve the repository's directory with listings on \
             (e.g. nginx `autoindex on`) or give a public bucket's URL",
            self.base
        )))
    }

    /// The keys of the grammar under directory `dir` (`""` or ending in `/`), from HTML pages.
    fn list_html(&self, dir: &str, depth: usize, out: &mut Vec<String>) -> Result<(), StorageError> {
        let url = format!("{}{}", self.base, http_listing::percent_encode(dir));
        let body = match self.get_url(&format!("list {dir}"), &url, None)? {
            Got::Body(_, body) => body,
            Got::Missing | Got::PastEnd => return Ok(()),
        };
        for entry in http_listing::parse_html(&String::from_utf8_lossy(&body)) {
            match entry {
                Entry::Dir(name) if depth < MAX_DEPTH => {
                    self.list_html(&format!("{dir}{name}/"), depth + 1, out)?
                }
                Entry::Dir(_) => {}
                Entry::File(name) => {
                    let key = format!("{dir}{name}");
                    if layout::validate_key(&key) {
                        out.push(key);
                    }
                }
            }
        }
        Ok(())
    }

    fn list_s3(&self, bucket_url: &str, key_prefix: &str, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let q = http_listing::list_objects_v2_query(&format!("{key_prefix}{prefix}"), token.as_deref());
            let url = format!("{bucket_url}?{q}");
            let body = match self.get_url(&format!("list {prefix}"), &url, None)? {
                Got::Body(_, body) => body,
                Got::Missing | Got::PastEnd => {
                    return Err(StorageError::Io(format!(
                        "list {prefix}: {url} answered 404: is the bucket gone?"
                    )))
                }
            };
            let page = http_listing::parse_list_objects_v2(&String::from_utf8_lossy(&body))
                .map_err(|e| StorageError::Io(format!("list {prefix} at {bucket_url}: {e}")))?;
            keys.extend(
                page.keys
                    .into_iter()
                    .filter_map(|k| k.strip_prefix(key_prefix).map(str::to_string))
                    .filter(|k| layout::validate_key(k)),
            );
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(keys),
            }
        }
    }
}

/// Answered in one piece: the body is read into one buffer.
impl super::Far for HttpStorage {}

impl Storage for HttpStorage {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        match self.get_url(&format!("get {key}"), &self.url_of(checked(key)?), None)? {
            Got::Body(_, body) => Ok(body),
            Got::Missing => Err(StorageError::NotFound),
            Got::PastEnd => Ok(Vec::new()),
        }
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        let url = self.url_of(checked(key)?);
        let range = (len > 0).then(|| format!("bytes={offset}-{}", offset.saturating_add(len - 1)));
        let what = format!("get {key} from byte {offset}");
        match self.get_url(&what, &url, range.as_deref())? {
            Got::Missing => Err(StorageError::NotFound),
            Got::PastEnd => Ok(Vec::new()),
            // The server sent the range asked for.
            Got::Body(206, body) if range.is_some() => Ok(body.into_iter().take(len as usize).collect()),
            // The server ignored the range and sent the whole object: slice it.
            Got::Body(_, body) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(body.len());
                let end = start.saturating_add(len as usize).min(body.len());
                Ok(body[start..end].to_vec())
            }
        }
    }

    fn put(&self, key: &str, _data: &[u8]) -> Result<(), StorageError> {
        checked(key)?;
        Err(StorageError::ReadOnly)
    }

    fn put_new(&self, key: &str, _data: &[u8]) -> Result<(), StorageError> {
        checked(key)?;
        Err(StorageError::ReadOnly)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        if !layout::validate_prefix(prefix) {
            return Err(StorageError::InvalidKey);
        }
        let mut keys = match self.lister()? {
            Lister::Html => {
                let mut keys = Vec::new();
                self.list_html(prefix, prefix.matches('/').count(), &mut keys)?;
                keys
            }
            Lister::S3 {
                bucket_url,
                key_prefix,
            } => self.list_s3(bucket_url, key_prefix, prefix)?,
        };
        keys.retain(|k| k.starts_with(prefix));
        Ok(keys)
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        checked(key)?;
        Err(StorageError::ReadOnly)
    }
}
