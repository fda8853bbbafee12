//! What the parser fuzzer (tests/fuzz_parsers.rs) needs besides the parsers: a mutator
//! that knows the shapes of repository files (little-endian lengths and counts, JSON
//! numbers and lists), and the guards that turn "no unbounded allocation" and "no hang"
//! into failures: an allocator with a ceiling and a watchdog thread.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

use crate::common::Rng;
use serde_json::Value;

/// The largest single allocation a case may make. Every input is under 1 MiB and the
/// engine's own buffers (a pack, a chunk) are bounded by the repository's parameters, so
/// anything near this is an allocation sized by untrusted bytes.
pub const MAX_ALLOCATION: usize = 256 << 20;
/// The most memory live at once.
pub const MAX_LIVE: usize = 1 << 30;

/// The case running now, for the messages of the guards.
pub static CASE: AtomicU64 = AtomicU64::new(u64::MAX);
/// When it started (milliseconds since the epoch), for the watchdog.
pub static CASE_STARTED_MS: AtomicI64 = AtomicI64::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The system allocator with a ceiling: an allocation over [`MAX_ALLOCATION`], or one
/// that would take live memory over [`MAX_LIVE`], names the case on stderr and fails,
/// which aborts the test binary ("memory allocation of N bytes failed").
pub struct Ceiling;

fn write_number(out: &mut [u8], mut n: u64) -> &[u8] {
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &out[at..];
        }
    }
}

fn refuse(size: usize) {
    // No formatting: that would allocate inside the allocator.
    let mut a = [0u8; 20];
    let mut b = [0u8; 20];
    let mut err = std::io::stderr();
    let _ = err.write_all(b"fuzz case ");
    let _ = err.write_all(write_number(&mut a, CASE.load(Ordering::Relaxed)));
    let _ = err.write_all(b" asked for ");
    let _ = err.write_all(write_number(&mut b, size as u64));
    let _ = err.write_all(b" bytes beyond the fuzzer's ceiling\n");
}

unsafe impl GlobalAlloc for Ceiling {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let size = layout.size();
        if size > MAX_ALLOCATION || LIVE.fetch_add(size, Ordering::Relaxed) + size > MAX_LIVE {
            refuse(size);
            return std::ptr::null_mut();
        }
        // SAFETY: the layout is the caller's, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Marks the start of case `n`.
pub fn enter(n: u64) {
    CASE.store(n, Ordering::Relaxed);
    CASE_STARTED_MS.store(now_ms(), Ordering::Relaxed);
}

/// Starts a thread that ends the process, naming the case, when one case has run longer
/// than `limit_ms` (a hang: no case of these small inputs needs more than milliseconds).
/// Threads do not exist on wasm32-wasip1; there the test command's own time-out stands in.
pub fn watchdog(limit_ms: i64) {
    #[cfg(not(target_os = "wasi"))]
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let started = CASE_STARTED_MS.load(Ordering::Relaxed);
        if started > 0 && now_ms() - started > limit_ms {
            eprintln!(
                "fuzz case {} has run for more than {limit_ms} ms: a hang",
                CASE.load(Ordering::Relaxed)
            );
            std::process::exit(101);
        }
    });
    #[cfg(target_os = "wasi")]
    let _ = limit_ms;
}

/// Numbers that break length and count checks: zero, one, the ends of each width, and
/// values around the input's own length.
fn interesting(rng: &mut Rng, len: usize) -> u64 {
    let picks = [
        0,
        1,
        2,
        0x7F,
        0x80,
        0xFF,
        0xFFFF,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFF_FFFF,
        0xFFFF_FFFE,
        u64::MAX,
        u64::MAX / 2,
        len as u64,
        len as u64 + 1,
        (len as u64).saturating_sub(1),
        (len / 36) as u64,
        (len / 44) as u64,
        8192,
        8193,
    ];
    picks[rng.below(picks.len())]
}

/// One mutation of raw bytes; `other` is another file of the corpus, for splicing.
fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, other: &[u8]) {
    let len = bytes.len();
    match rng.below(9) {
        0 if len > 0 => {
            let at = rng.below(len);
            bytes[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            bytes[at] = [0, 0xFF, 0x7F, 0x80, b'"', b'{', b'9'][rng.below(7)];
        }
        2 if len >= 4 => {
            // A little-endian u32 or u64 field set to an interesting value.
            let width = if rng.below(2) == 0 { 4 } else { 8.min(len) };
            let at = rng.below(len - width + 1);
            let v = interesting(rng, len).to_le_bytes();
            bytes[at..at + width].copy_from_slice(&v[..width]);
        }
        3 if len > 0 => bytes.truncate(rng.below(len)),
        4 => {
            let n = 1 + rng.below(64);
            bytes.extend((0..n).map(|_| rng.next() as u8));
        }
        5 if len > 0 => {
            // A range repeated, as in a list that loops.
            let at = rng.below(len);
            let end = (at + 1 + rng.below(64)).min(len);
            let piece = bytes[at..end].to_vec();
            for _ in 0..1 + rng.below(8) {
                bytes.splice(at..at, piece.iter().copied());
            }
        }
        6 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(64)).min(len);
            bytes.drain(at..end);
        }
        7 if !other.is_empty() => {
            // Splice: the start of this file, the end of another.
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            bytes.truncate(cut);
            bytes.extend_from_slice(&other[from..]);
        }
        _ if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(256)).min(len);
            bytes[at..end].iter_mut().for_each(|b| *b = 0);
        }
        _ => bytes.push(rng.next() as u8),
    }
}

/// One mutation of a JSON value, somewhere inside it.
fn mutate_json(rng: &mut Rng, v: &mut Value, depth: usize) {
    match v {
        Value::Object(map) if !map.is_empty() && depth < 6 && rng.below(4) != 0 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let k = &keys[rng.below(keys.len())];
            match rng.below(6) {
                0 => {
                    map.remove(k);
                }
                1 => {
                    let x = map[k].clone();
                    map.insert(format!("{k}X"), x);
                }
                _ => mutate_json(rng, map.get_mut(k).expect("present"), depth + 1),
            }
        }
        Value::Array(items) if !items.is_empty() && depth < 6 && rng.below(3) != 0 => {
            let i = rng.below(items.len());
            match rng.below(4) {
                0 => {
                    // The same element many times: a looping list.
                    let x = items[i].clone();
                    for _ in 0..1 + rng.below(2000) {
                        items.push(x.clone());
                    }
                }
                1 => {
                    items.remove(i);
                }
                _ => mutate_json(rng, &mut items[i], depth + 1),
            }
        }
        _ => {
            let len = rng.below(300);
            *v = match rng.below(9) {
                0 => Value::from(interesting(rng, len)),
                1 => Value::from(-(interesting(rng, len) as i64)),
                2 => serde_json::json!(1e300),
                3 => Value::from("../../outside"),
                4 => Value::from("/etc/passwd"),
                5 => Value::from("x".repeat(len * 20)),
                6 => Value::Null,
                7 => serde_json::json!([{}]),
                _ => Value::from(format!("{:064x}", rng.next())),
            };
        }
    }
}

/// Mutates `bytes` one to four times; JSON files are mostly mutated as JSON (then written
/// compact or pretty), so that the mutations reach the checks behind the JSON parser.
/// `fix_checksum` puts a valid checksum line on pretty JSON (docs/FORMAT.md §3a), so that
/// mutated `config.json` and key files get past it.
pub fn mutate(rng: &mut Rng, bytes: &[u8], other: &[u8], fix_checksum: bool) -> Vec<u8> {
    if let Ok(mut v) = serde_json::from_slice::<Value>(bytes) {
        if rng.below(4) != 0 {
            for _ in 0..1 + rng.below(3) {
                mutate_json(rng, &mut v, 0);
            }
            if fix_checksum && v.is_object() {
                if let Some(map) = v.as_object_mut() {
                    map.remove("checksum");
                }
                let mut pretty = serde_json::to_vec_pretty(&v).expect("serialises");
                pretty.push(b'\n');
                if pretty.starts_with(b"{\n") {
                    return cairn_core::checksum::prepend(&pretty);
                }
                return pretty;
            }
            return serde_json::to_vec(&v).expect("serialises");
        }
    }
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        mutate_bytes(rng, &mut out, other);
    }
    out
}

/// One input: what parses it, and its bytes.
pub struct Seed {
    /// A storage key, or `list`, `blob-<codec>-<raw length>`, `listing.html`, `listing.xml`.
    pub label: String,
    pub bytes: Vec<u8>,
    /// The corpus repository it comes from (an index), for the whole-engine cases.
    pub repo: Option<usize>,
}

/// The kind of an input, as the figures name it.
pub fn kind_of(label: &str) -> &str {
    match crate::common::kind(label) {
        "other" => label.split('-').next().unwrap_or(label),
        k => k,
    }
}

/// The first byte of a seed of the coverage-guided target
/// (core-wasm/engine/fuzz/fuzz_targets/parsers.rs), which picks its parser.
const SELECTORS: &[(&str, u8)] = &[
    ("config", 0),
    ("key", 1),
    ("lock", 2),
    ("pack", 3),
    ("pack .idx", 4),
    ("index segment", 5),
    ("list", 6),
    ("group manifest", 7),
    ("listing.html", 8),
    ("listing.xml", 9),
    ("snapshot", 12),
    ("tree", 14),
];

/// Writes the corpus as seeds of the coverage-guided target (tests/fuzz/coverage.sh).
pub fn write_corpus(dir: &std::path::Path, seeds: &[Seed]) {
    std::fs::create_dir_all(dir).unwrap();
    for (n, s) in seeds.iter().enumerate() {
        let k = kind_of(&s.label);
        let body = match k {
            "index segment" => s.bytes.get(8..).unwrap_or_default(), // a plain segment's body
            _ => &s.bytes[..],
        };
        let mut out = match (
            SELECTORS.iter().find(|(name, _)| *name == k),
            s.label.strip_prefix("blob-"),
        ) {
            (Some(&(_, byte)), _) => vec![byte],
            (None, Some(rest)) if rest.starts_with('1') || rest.starts_with('2') => {
                let raw: u32 = rest[2..].parse().unwrap();
                [&[9 + rest.as_bytes()[0] - b'0'][..], &raw.to_le_bytes()].concat()
            }
            _ => continue,
        };
        out.extend_from_slice(body);
        std::fs::write(dir.join(format!("seed-{n}")), out).unwrap();
    }
    for (n, key) in [
        "config.json",
        "snapshots/../x",
        "/etc/passwd",
        "packs/data/ab/ab.pack",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(
            dir.join(format!("key-{n}")),
            [&[13u8][..], key.as_bytes()].concat(),
        )
        .unwrap();
    }
}
