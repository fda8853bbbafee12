//! A repository in an S3-compatible bucket (docs/DESIGN.md §22), through OpenDAL's S3
//! service: it signs requests (SigV4), and its layers retry transient failures and
//! throttling with exponential backoff and jitter, and time every request out.
//!
//! The engine's storage calls are synchronous, so the storage uses OpenDAL's blocking
//! operator, which runs each call to completion on a small tokio runtime owned here. `put_new` is a conditional
//! PUT (`If-None-Match: *`): the service creates the object only if it is absent, so two
//! writers can never both hold a lock; a service that refuses conditional writes makes
//! `put_new` fail rather than fall back to a check-then-write race (docs/FORMAT.md §10).
//!
//! Endpoint, region and credentials come from the standard `AWS_*` environment. With
//! `AWS_ENDPOINT_URL` (a self-hosted service such as SeaweedFS or MinIO) requests are
//! path-style (`ENDPOINT/BUCKET/KEY`). No error message carries a credential.

use std::time::Duration;

use cairn_core::host::{Planned, Storage, StorageError};
use cairn_core::layout;
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::options::{ListOptions, ReadOptions, WriteOptions};
use opendal::{blocking, services, Buffer, ErrorKind, HttpTransporter, Operator};
use opendal_http_transport_reqwest::ReqwestTransport;

use super::{attempts, checked, timeout, Far, FIRST_BACKOFF, REQUEST_TIMEOUT, STEP_TIMEOUT};
use crate::error::{CliError, Result};

/// Environment variables that stand for credentials besides a static key pair.
const OTHER_CREDENTIALS: [&str; 3] = ["AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_SKIP_SIGNATURE"];

/// How `put_new` is named in messages.
const CREATE: &str = "create";

/// [`Storage`] on the objects under a prefix of an S3 bucket.
pub struct S3Storage {
    op: blocking::Operator,
    /// Runs the operator's requests; kept alive as long as the operator.
    _runtime: tokio::runtime::Runtime,
    bucket: String,
    prefix: String,
    /// What to blank out of messages: the secret key and session token.
    secrets: Vec<String>,
}

impl S3Storage {
    /// Storage on `prefix` (`""` or ending in `/`) of `bucket`, configured from the
    /// environment. Nothing is contacted until the first call.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<S3Storage> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if env("AWS_ACCESS_KEY_ID").is_none() && !OTHER_CREDENTIALS.iter().any(|k| env(k).is_some()) {
            return Err(CliError::Location(format!(
                "s3://{bucket}/{prefix}: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                 (and AWS_SESSION_TOKEN for temporary ones), or AWS_SKIP_SIGNATURE=true for a public bucket"
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cairn-s3")
            .enable_all()
            .build()
            .map_err(|e| CliError::Storage(format!("cannot start the S3 client: {e}")))?;
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        // TLS through rustls with ring (Cargo.toml says why); an error only says that a
        // provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The repository's prefix is the operator's root: keys are relative to it.
        let mut builder = services::S3::default()
            .bucket(bucket)
            .root(&format!("/{prefix}"))
            .region(&region)
            .disable_ec2_metadata();
        // Without AWS_ENDPOINT_URL, AWS itself; with it, a self-hosted service, path-style.
        if let Some(endpoint) = env("AWS_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT_URL_S3")) {
            builder = builder.endpoint(&endpoint);
        } else {
            builder = builder.enable_virtual_host_style();
        }
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            builder = builder.access_key_id(&id).secret_access_key(&secret);
            if let Some(token) = env("AWS_SESSION_TOKEN") {
                builder = builder.session_token(&token);
            }
        } else if let Some(profile) = env("AWS_PROFILE") {
            builder = builder.profile(&profile);
        } else if env("AWS_SKIP_SIGNATURE").is_some_and(|v| v == "true") {
            builder = builder.skip_signature();
        }
        let unusable = |e: opendal::Error| {
            CliError::Location(format!(
                "s3://{bucket}/{prefix}: the S3 settings are unusable: {}: check AWS_REGION and AWS_ENDPOINT_URL",
                e.message()
            ))
        };
        let op = Operator::new(builder).map_err(unusable)?;
        // OpenDAL's reqwest transport, one client per process, given to this operator.
        let transport = HttpTransporter::new(ReqwestTransport::default());
        let context = op.base_context().with_http_transport(transport);
        let op = op
            .with_context(context)
            // Time-outs inside retries: a request that times out is tried again.
            .layer(
                TimeoutLayer::new()
                    .with_timeout(timeout(REQUEST_TIMEOUT))
                    .with_io_timeout(timeout(STEP_TIMEOUT)),
            )
            .layer(
                RetryLayer::new()
                    .with_max_times((attempts() - 1) as usize)
                    .with_min_delay(FIRST_BACKOFF)
                    .with_max_delay(Duration::from_secs(5))
                    .with_factor(2.0)
                    .with_jitter(),
            );
        let op = {
            let _inside = runtime.enter();
            blocking::Operator::new(op).map_err(unusable)?
        };
        let secrets = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
            .iter()
            .filter_map(|k| env(k))
            .filter(|s| s.len() >= 4)
            .collect();
        Ok(S3Storage {
            op,
            _runtime: runtime,
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            secrets,
        })
    }

    /// A failure of `op` on `key` as the engine's storage error (see the module docs).
    fn error(&self, op: &str, key: &str, e: opendal::Error) -> StorageError {
        let reason = self.scrub(&e.to_string());
        let at = format!("s3://{}/{}{key}", self.bucket, self.prefix);
        match e.kind() {
            // OpenDAL reads S3's NoSuchBucket as invalid configuration, not as "not found".
            _ if reason.contains("NoSuchBucket") => StorageError::Io(format!(
                "{op} {at}: the bucket {} does not exist: create it, or check the bucket name and AWS_ENDPOINT_URL",
                self.bucket
            )),
            ErrorKind::NotFound => StorageError::NotFound,
            ErrorKind::ConditionNotMatch | ErrorKind::AlreadyExists => StorageError::AlreadyExists,
            ErrorKind::PermissionDenied => StorageError::Io(format!(
                "{op} {at}: access denied ({reason}): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY \
                 and the bucket's permissions"
            )),
            // OpenDAL reads S3's 501 NotImplemented as unexpected, not as unsupported.
            ErrorKind::Unsupported => self.no_exclusive_create(op, &at),
            _ if op == CREATE && (reason.contains("NotImplemented") || reason.contains("status: 501,")) => {
                self.no_exclusive_create(op, &at)
            }
            _ => StorageError::Io(format!("{op} {at}: {}", self.sentence(&e))),
        }
    }

    /// The error of a service that refused a conditional write (`If-None-Match: *`).
    fn no_exclusive_create(&self, op: &str, at: &str) -> StorageError {
        StorageError::Io(format!(
            "{op} {at}: this S3 service cannot create objects exclusively (If-None-Match: *), which \
             Cairn's locks need; it refuses to write rather than risk two writers"
        ))
    }

    /// What went wrong with a request that got no usable answer, and what to check: the
    /// service's answer (S3 error code and HTTP status), no answer in time, or no
    /// connection; with how often it was tried when the retries ran out.
    fn sentence(&self, e: &opendal::Error) -> String {
        let text = self.scrub(&e.to_string());
        // OpenDAL marks every error its retry layer passes on as persistent; only the
        // transient ones (no answer, 429, 5xx) were tried again.
        let after = |retried: bool| match retried && e.is_persistent() {
            true => format!(" (after {} attempts)", attempts()),
            false => String::new(),
        };
        // An answer: S3's error code, if its body had one, and the HTTP status.
        let code = between(&text, "code: \"", "\"");
        let status = between(&text, "status: ", ",");
        if code.is_some() || status.is_some() {
            let retried = e.kind() == ErrorKind::RateLimited || status.is_some_and(|s| s.starts_with('5'));
            let answer = match (code, status) {
                (Some(code), Some(status)) => format!("{code}, HTTP {status}"),
                (Some(code), None) => code.to_string(),
                (None, status) => format!("HTTP {}", status.unwrap_or("?")),
            };
            let hint = match e.kind() {
                ErrorKind::RateLimited => "the service is throttling or busy: try again later",
                _ => "check AWS_ENDPOINT_URL, the credentials and that the bucket exists",
            };
            return format!("the service answered {answer}{}: {hint}", after(retried));
        }
        if e.message().contains("timeout reached") {
            let limit = match e.message().starts_with("io") {
                true => timeout(STEP_TIMEOUT),
                false => timeout(REQUEST_TIMEOUT),
            };
            return format!(
                "no answer within {} s{}: check AWS_ENDPOINT_URL and the network",
                limit.as_secs(),
                after(true)
            );
        }
        // The innermost cause says most (a refused or reset connection).
        let mut cause = e.message().to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        let cause = self.scrub(&cause);
        if cause.contains("credential") {
            // Nothing was sent: the profile named no usable keys.
            return format!(
                "cannot load the credentials ({cause}): check AWS_PROFILE and its entry in ~/.aws/credentials \
                 (or AWS_SHARED_CREDENTIALS_FILE), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            );
        }
        format!(
            "cannot reach the service, or the connection broke ({cause}){}: check AWS_ENDPOINT_URL and the network",
            after(true)
        )
    }

    /// `message` with every credential blanked out.
    fn scrub(&self, message: &str) -> String {
        self.secrets
            .iter()
            .fold(message.to_string(), |m, s| m.replace(s.as_str(), "***"))
    }

    fn write(&self, op: &str, key: &str, data: &[u8], if_not_exists: bool) -> Result<(), StorageError> {
        let opts = WriteOptions {
            if_not_exists,
            ..WriteOptions::default()
        };
        self.op
            .write_options(checked(key)?, data.to_vec(), opts)
            .map(|_| ())
            .map_err(|e| self.error(op, key, e))
    }
}

/// The text of `s` between the first `start` and the `end` that follows it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

impl S3Storage {
    /// The whole object, or `len` bytes of it from `offset` (fewer if it ends first), in
    /// the pieces the response arrived in: the one read behind `get`, `get_range` and
    /// [`Far::fetch`].
    fn read(&self, key: &str, range: Option<(u64, u64)>) -> Result<Buffer, StorageError> {
        let path = checked(key)?;
        let Some((offset, len)) = range else {
            return self.op.read(path).map_err(|e| self.error("get", key, e));
        };
        if len == 0 {
            return self
                .op
                .stat(path)
                .map(|_| Buffer::new())
                .map_err(|e| self.error("get", key, e));
        }
        let end = offset.saturating_add(len);
        let read = |end: u64| {
            let opts = ReadOptions {
                range: (offset..end).into(),
                ..ReadOptions::default()
            };
            self.op.read_options(path, opts)
        };
        match read(end) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(self.error("get", key, e)),
            // A range past the end (refused, or answered short): read what there is.
            Err(e) => match self.op.stat(path) {
                Ok(meta) if meta.content_length() <= offset => Ok(Buffer::new()),
                Ok(meta) if meta.content_length() < end => read(meta.content_length())
                    .map_err(|e| self.error(&format!("get from byte {offset} of"), key, e)),
                _ => Err(self.error(&format!("get from byte {offset} of"), key, e)),
            },
        }
    }
}

impl Far for S3Storage {
    fn fetch(&self, read: &Planned) -> Result<Buffer, StorageError> {
        match read {
            Planned::Get { key, .. } => self.read(key, None),
            Planned::Range { key, offset, len } => self.read(key, Some((*offset, *len))),
        }
    }
}

impl Storage for S3Storage {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        self.read(key, None).map(|b| b.to_vec())
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        self.read(key, Some((offset, len))).map(|b| b.to_vec())
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.write("put", key, data, false)
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.write(CREATE, key, data, true)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        if !layout::validate_prefix(prefix) {
            return Err(StorageError::InvalidKey);
        }
        let opts = ListOptions {
            recursive: true,
            ..ListOptions::default()
        };
        let dir = if prefix.is_empty() { "/" } else { prefix };
        let entries = self
            .op
            .list_options(dir, opts)
            .map_err(|e| self.error("list", prefix, e))?;
        Ok(entries
            .into_iter()
            .map(|e| e.path().trim_start_matches('/').to_string())
            .filter(|k| k.starts_with(prefix) && layout::validate_key(k))
            .collect())
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.op.delete(checked(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error("delete", key, e)),
        }
    }
}
