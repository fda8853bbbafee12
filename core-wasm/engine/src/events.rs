//! The engine's events: each name defined once with its payload type, emitted through
//! [`emit`] only, so that what a host receives is always a payload of the declared type.
//!
//! Hosts receive `(name, JSON payload)` ([`crate::host::Host::event`]). The JS package's
//! `on(event, handler)` types and the CLI's progress bars follow from [`EVENTS`].

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::host::Host;
use crate::ids::{BlobId, SnapshotId};
use crate::layout::StorageKey;

/// An event name bound to its payload type.
pub struct EventKind<P> {
    name: &'static str,
    _payload: PhantomData<fn(&P)>,
}

impl<P> Clone for EventKind<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for EventKind<P> {}

impl<P> EventKind<P> {
    const fn new(name: &'static str) -> Self {
        EventKind {
            name,
            _payload: PhantomData,
        }
    }

    /// The name hosts receive, such as `ingest:progress`.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// One row of the event table, for documentation and the generated TypeScript.
pub struct EventInfo {
    /// The event's name.
    pub name: &'static str,
    /// The Rust name of its payload type.
    pub payload: &'static str,
    /// What it means.
    pub doc: &'static str,
    /// Registers the payload type with the TypeScript generator.
    #[cfg(feature = "typescript")]
    pub register: fn(&mut specta::TypeCollection),
}

macro_rules! events {
    ($($(#[doc = $doc:literal])+ $konst:ident = $name:literal: $payload:ident;)+) => {
        $($(#[doc = $doc])+ pub const $konst: EventKind<$payload> = EventKind::new($name);)+

        /// Every event the engine emits.
        pub const EVENTS: &[EventInfo] = &[$(EventInfo {
            name: $name,
            payload: stringify!($payload),
            doc: concat!($($doc, "\n"),+),
            #[cfg(feature = "typescript")]
            register: |types| {
                types.register::<$payload>();
            },
        }),+];
    };
}

events! {
    /// Progress of an ingest: about every 1 % of a known total or 8 MiB, at least once a
    /// second while bytes arrive ([`Pacer`]), and at the end.
    INGEST_PROGRESS = "ingest:progress": Progress;
    /// An ingest stored its snapshot.
    INGEST_COMPLETE = "ingest:complete": IngestComplete;
    /// A source entry of a tree could not be stored as it was (it vanished, changed while
    /// read, or could not be read); the snapshot's `warnings` counts these.
    INGEST_WARNING = "ingest:warning": IngestWarning;
    /// Progress of a verification, after every pack read.
    VERIFY_PROGRESS = "verify:progress": Progress;
    /// Verification found a problem (each one also ends up in the result's `errors`).
    VERIFY_ERROR = "verify:error": VerifyError;
}

/// Sends one event to the host.
pub fn emit<H: Host + ?Sized, P: Serialize>(host: &H, kind: EventKind<P>, payload: &P) {
    // Serialising these payloads cannot fail: they hold strings and numbers only.
    if let Ok(json) = serde_json::to_string(payload) {
        host.event(kind.name, &json);
    }
}

/// Payload of the progress events: how far an operation has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The operation (`ingest`, `verify`).
    pub operation: String,
    /// Bytes read so far.
    pub bytes_processed: u64,
    /// Bytes expected, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_bytes: Option<u64>,
    /// Progress in percent, when the total is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
    /// An ingest of directory trees: the entries described so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// An ingest of a directory tree: the path of the entry described last, below the
    /// tree's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A line for people.
    pub message: String,
}

/// Decides when a progress event is due: about every 1 % of a known total (between
/// [`PACE_MIN_BYTES`] and [`PACE_MAX_BYTES`] apart), every [`PACE_MAX_BYTES`] when the total
/// is unknown, and at least once a second while bytes arrive, so that a progress bar moves
/// smoothly whatever the input's size and speed.
#[derive(Debug, Clone)]
pub struct Pacer {
    step: u64,
    next: u64,
    last_ms: i64,
}

/// The smallest byte step between two paced events.
pub const PACE_MIN_BYTES: u64 = 64 * 1024;
/// The largest byte step between two paced events.
pub const PACE_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// The longest time between two paced events while bytes arrive.
pub const PACE_MAX_MS: i64 = 1000;

impl Pacer {
    /// A pacer for `total` bytes (when known), started at `now_ms`.
    pub fn new(total: Option<u64>, now_ms: i64) -> Pacer {
        let step = total.map_or(PACE_MAX_BYTES, |t| {
            (t / 100).clamp(PACE_MIN_BYTES, PACE_MAX_BYTES)
        });
        Pacer {
            step,
            next: step,
            last_ms: now_ms,
        }
    }

    /// Whether an event is due with `done` bytes processed at `now_ms`; when it is, the
    /// next one is timed from here.
    pub fn due(&mut self, done: u64, now_ms: i64) -> bool {
        if done < self.next && now_ms - self.last_ms < PACE_MAX_MS {
            return false;
        }
        self.next = done + self.step;
        self.last_ms = now_ms;
        true
    }
}

impl Progress {
    /// A progress payload; the percentage follows from `total_bytes` when it is known.
    pub fn new(operation: &str, done: u64, total_bytes: Option<u64>, message: String) -> Progress {
        Progress {
            operation: operation.into(),
            bytes_processed: done,
            total_bytes,
            percentage: total_bytes
                .filter(|&t| t > 0)
                .map(|t| ((done as f64 / t as f64) * 100.0).min(100.0)),
            entries: None,
            path: None,
            message,
        }
    }
}

/// Payload of `ingest:complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IngestComplete {
    /// The new snapshot's id.
    pub snapshot_id: SnapshotId,
    /// Chunks stored.
    pub new_chunks: u64,
    /// Chunks deduplicated.
    pub reused_chunks: u64,
    /// Bytes of input.
    pub original_size: u64,
    /// Bytes stored.
    pub stored_size: u64,
}

/// Payload of `ingest:warning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IngestWarning {
    /// The item and path concerned, as the host named it.
    pub path: String,
    /// What happened.
    pub message: String,
    /// Whether the entry was left out of the snapshot.
    pub dropped: bool,
}

/// One problem verification found (the payload of `verify:error`, and an entry of the
/// result's `errors`): what it concerns, and what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VerifyError {
    /// Storage key of the pack concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<StorageKey>,
    /// Id of the chunk concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<BlobId>,
    /// Id of the snapshot concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotId>,
    /// Name of the snapshot item concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Storage key of the parity group or shard concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<StorageKey>,
    /// What is wrong, as a sentence.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryHost;

    #[test]
    fn events_reach_the_host_under_their_name_with_their_payload() {
        let host = MemoryHost::new(1);
        let e = VerifyError {
            pack: Some(StorageKey::Pack([1; 32].into())),
            error: "broken".into(),
            ..Default::default()
        };
        emit(&host, VERIFY_ERROR, &e);
        let got = host.take_events();
        assert_eq!(got[0].0, "verify:error");
        assert_eq!(serde_json::from_str::<VerifyError>(&got[0].1).unwrap(), e);
        let names: Vec<&str> = EVENTS.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "ingest:progress",
                "ingest:complete",
                "ingest:warning",
                "verify:progress",
                "verify:error"
            ]
        );
        assert!(EVENTS.iter().all(|e| !e.doc.trim().is_empty()));
    }

    #[test]
    fn the_pacer_emits_about_every_percent_and_every_second() {
        // 100 MiB known: every 1 MiB.
        let mut p = Pacer::new(Some(100 << 20), 0);
        let due: Vec<u64> = (1..=200u64).map(|i| i << 19).filter(|&d| p.due(d, 0)).collect();
        assert_eq!(due.len(), 100);
        assert_eq!(due[0], 1 << 20);
        // Small totals are paced at 64 KiB, huge or unknown ones at 8 MiB.
        assert_eq!(Pacer::new(Some(1000), 0).step, PACE_MIN_BYTES);
        assert_eq!(Pacer::new(Some(1 << 40), 0).step, PACE_MAX_BYTES);
        assert_eq!(Pacer::new(None, 0).step, PACE_MAX_BYTES);
        // A slow input still gets an event a second.
        let mut p = Pacer::new(None, 0);
        assert!(!p.due(10, 999));
        assert!(p.due(20, 1000));
        assert!(!p.due(30, 1500));
        assert!(p.due(40, 2000));
    }

    #[test]
    fn progress_percentages_follow_the_total() {
        assert_eq!(
            Progress::new("ingest", 50, Some(200), String::new()).percentage,
            Some(25.0)
        );
        assert_eq!(
            Progress::new("ingest", 500, Some(200), String::new()).percentage,
            Some(100.0)
        );
        assert_eq!(
            Progress::new("ingest", 5, Some(0), String::new()).percentage,
            None
        );
        assert_eq!(Progress::new("verify", 5, None, String::new()).percentage, None);
    }
}
