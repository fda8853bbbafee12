//! What commands print: one JSON document with `--json`, short human text otherwise.
//! Both are made from the engine's own answer types, so they show the same data, and the
//! JSON has the field names of the JS package.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use cairn_core::keys::KeyListing;
use cairn_core::manifest::{Snapshot, SnapshotItem};
use serde::Serialize;

use crate::error::{CliError, Result};

/// How much a command says besides its answer (`-q/--quiet`, `-v/--verbose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Answers, warnings and errors only: no progress bars, no summaries, no notes.
    Quiet = 0,
    /// Progress bars on a terminal, a summary of what was done.
    Normal = 1,
    /// Also a line for each item and for each file restored into a directory.
    Verbose = 2,
}

/// The process's verbosity: one setting for every command, the progress bars and the
/// notes, set once from the command line (docs/DESIGN.md §26).
static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);

/// Sets the process's verbosity.
pub fn set_verbosity(v: Verbosity) {
    VERBOSITY.store(v as u8, Ordering::Relaxed);
}

/// The process's verbosity.
pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// Prints an informational line on standard error, unless `--quiet`.
pub fn note(text: &str) {
    if verbosity() > Verbosity::Quiet {
        eprintln!("{text}");
    }
}

/// Prints a line of detail on standard error, only with `--verbose`.
pub fn detail(text: &str) {
    if verbosity() == Verbosity::Verbose {
        eprintln!("{text}");
    }
}

/// Prints `text` and a newline on standard output. A closed pipe (`| head`) is not an error.
pub fn print_text(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::WriteOutput {
            path: "-".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Prints one JSON document on standard output.
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| CliError::Protocol(format!("an answer does not serialise: {e}")))?;
    print_text(&text)
}

/// Bytes in binary units: `512 B`, `1.5 KiB`, `12.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The first 8 hex digits of an id, as `snapshots` lists it.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Tags as `k=v,k2=v2`.
pub fn tags_text(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A one-paragraph summary of a new snapshot.
pub fn snapshot_summary(s: &Snapshot) -> String {
    let f = &s.fields;
    let items = f.items.len();
    format!(
        "snapshot {} saved\n  {} item{}, {} read, {} stored, {} new chunks, {} reused",
        short_id(&s.id.to_hex()),
        items,
        if items == 1 { "" } else { "s" },
        human_bytes(f.original_size),
        human_bytes(f.stored_size),
        f.new_chunks,
        f.reused_chunks,
    ) + &match f.warnings {
        0 => String::new(),
        n => format!(
            "\n  {n} warning{}: entries that vanished or changed while they were read (see above)",
            if n == 1 { "" } else { "s" }
        ),
    } + &match verbosity() {
        Verbosity::Verbose => f
            .items
            .iter()
            .map(|i| format!("\n  item {}", item_line(i)))
            .collect(),
        _ => String::new(),
    }
}

/// One item: name, type, size, chunks, entries of a tree.
pub fn item_line(i: &SnapshotItem) -> String {
    format!(
        "{}{}: {}, {} chunks{}",
        i.name,
        i.kind.as_ref().map_or_else(String::new, |k| format!(" ({k})")),
        human_bytes(i.size),
        i.chunk_count,
        i.entries
            .map_or_else(String::new, |n| format!(", a tree of {n} entries")),
    )
}

/// Left-aligned columns separated by two spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.iter().map(|r| line(r.clone())));
    out.join("\n")
}

/// Who took a snapshot: `user@host`, `host`, or empty when it does not say.
pub fn taken_by(s: &Snapshot) -> String {
    let f = &s.fields;
    match (&f.user, &f.host) {
        (Some(u), Some(h)) => format!("{u}@{h}"),
        (None, Some(h)) => h.clone(),
        (Some(u), None) => format!("{u}@"),
        (None, None) => String::new(),
    }
}

/// The items as `name (path)`, comma-separated (the path when recorded).
pub fn items_text(items: &[SnapshotItem]) -> String {
    items
        .iter()
        .map(|i| match &i.path {
            Some(p) => format!("{} ({p})", i.name),
            None => i.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `snapshots` table: short id, createdAt, who took it, size, stored, tags, items.
pub fn snapshots_table(list: &[Snapshot]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            let f = &s.fields;
            vec![
                short_id(&s.id.to_hex()).to_string(),
                f.created_at.clone(),
                taken_by(s),
                human_bytes(f.original_size),
                human_bytes(f.stored_size),
                tags_text(&f.tags),
                items_text(&f.items),
            ]
        })
        .collect();
    table(&["ID", "CREATED", "BY", "SIZE", "STORED", "TAGS", "ITEMS"], &rows)
}

/// Everything about one snapshot (`show`).
pub fn snapshot_detail(s: &Snapshot) -> String {
    let f = &s.fields;
    let mut out = vec![
        format!("snapshot  {}", s.id),
        format!("created   {}", f.created_at),
        format!("tags      {}", tags_text(&f.tags)),
        format!("by        {}", taken_by(s)),
        format!(
            "size      {} ({} stored)",
            human_bytes(f.original_size),
            human_bytes(f.stored_size)
        ),
        format!(
            "chunks    {} ({} new, {} reused)",
            f.chunk_count, f.new_chunks, f.reused_chunks
        ),
    ];
    if let Some(o) = &f.original {
        out.push(format!("original  {o}"));
    }
    out.push(String::new());
    let rows: Vec<Vec<String>> = f
        .items
        .iter()
        .map(|i| {
            vec![
                i.name.clone(),
                i.kind.clone().unwrap_or_default(),
                human_bytes(i.size),
                i.chunk_count.to_string(),
                i.path.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push(table(&["ITEM", "TYPE", "SIZE", "CHUNKS", "PATH"], &rows));
    out.join("\n")
}

/// The `key list` table.
pub fn keys_table(list: &[KeyListing]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|k| {
            vec![
                if k.current { "*" } else { "" }.to_string(),
                k.id.to_hex(),
                k.created_at.clone(),
                k.hostname.clone(),
            ]
        })
        .collect();
    table(&["", "ID", "CREATED", "HOST"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_tables() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12 << 20), "12.0 MiB");
        assert_eq!(
            table(&["A", "BB"], &[vec!["xyz".into(), "1".into()]]),
            "A    BB\nxyz  1"
        );
        let s: Snapshot = serde_json::from_value(serde_json::json!({
            "id": "01234567".repeat(8), "version": 1, "createdAt": "2026-01-01T00:00:00.000Z",
            "tags": {"h": "x"}, "originalSize": 2048, "storedSize": 100, "chunkCount": 1,
            "newChunks": 1, "reusedChunks": 0, "items": [{"name": "a", "size": 2048, "chunkCount": 1}]
        }))
        .unwrap();
        let t = snapshots_table(std::slice::from_ref(&s));
        assert!(
            t.contains("01234567") && t.contains("h=x") && t.contains("2.0 KiB"),
            "{t}"
        );
        assert!(snapshot_detail(&s).contains(&"01234567".repeat(8)));
        assert!(snapshot_summary(&s).contains("1 item, 2.0 KiB read"));
    }
}
