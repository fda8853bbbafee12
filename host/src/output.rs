//! What commands print: one JSON document with `--json`, short human text otherwise.
//! Human output reads the engine's JSON (API.md field names), so both show the same data.

use std::io::Write;

use serde_json::Value;

use crate::error::{CliError, Result};

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
pub fn print_json(v: &Value) -> Result<()> {
    print_text(&serde_json::to_string_pretty(v).expect("JSON values serialise"))
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

fn u64_of(v: &Value, field: &str) -> u64 {
    v[field].as_u64().unwrap_or(0)
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or("")
}

/// Tags as `k=v,k2=v2`.
pub fn tags_text(tags: &Value) -> String {
    tags.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// A one-paragraph summary of a new snapshot (an ISnapshot).
pub fn snapshot_summary(s: &Value) -> String {
    let items = s["items"].as_array().map_or(0, Vec::len);
    format!(
        "snapshot {} saved\n  {} item{}, {} read, {} stored, {} new chunks, {} reused",
        short_id(str_of(s, "id")),
        items,
        if items == 1 { "" } else { "s" },
        human_bytes(u64_of(s, "originalSize")),
        human_bytes(u64_of(s, "storedSize")),
        u64_of(s, "newChunks"),
        u64_of(s, "reusedChunks"),
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

/// The `snapshots` table: short id, createdAt, size, stored, items, tags.
pub fn snapshots_table(list: &[Value]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                short_id(str_of(s, "id")).to_string(),
                str_of(s, "createdAt").to_string(),
                human_bytes(u64_of(s, "originalSize")),
                human_bytes(u64_of(s, "storedSize")),
                s["items"].as_array().map_or(0, Vec::len).to_string(),
                tags_text(&s["tags"]),
            ]
        })
        .collect();
    table(&["ID", "CREATED", "SIZE", "STORED", "ITEMS", "TAGS"], &rows)
}

/// Everything about one snapshot (`show`).
pub fn snapshot_detail(s: &Value) -> String {
    let mut out = vec![
        format!("snapshot  {}", str_of(s, "id")),
        format!("created   {}", str_of(s, "createdAt")),
        format!("tags      {}", tags_text(&s["tags"])),
        format!(
            "size      {} ({} stored)",
            human_bytes(u64_of(s, "originalSize")),
            human_bytes(u64_of(s, "storedSize"))
        ),
        format!(
            "chunks    {} ({} new, {} reused)",
            u64_of(s, "chunkCount"),
            u64_of(s, "newChunks"),
            u64_of(s, "reusedChunks")
        ),
        String::new(),
    ];
    let rows: Vec<Vec<String>> = s["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    vec![
                        str_of(i, "name").to_string(),
                        str_of(i, "type").to_string(),
                        human_bytes(u64_of(i, "size")),
                        u64_of(i, "chunkCount").to_string(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    out.push(table(&["ITEM", "TYPE", "SIZE", "CHUNKS"], &rows));
    out.join("\n")
}

/// The `key list` table.
pub fn keys_table(list: &[Value]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|k| {
            vec![
                if k["current"].as_bool() == Some(true) {
                    "*"
                } else {
                    ""
                }
                .to_string(),
                str_of(k, "id").to_string(),
                str_of(k, "createdAt").to_string(),
                str_of(k, "hostname").to_string(),
            ]
        })
        .collect();
    table(&["", "ID", "CREATED", "HOST"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_and_tables() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12 << 20), "12.0 MiB");
        assert_eq!(
            table(&["A", "BB"], &[vec!["xyz".into(), "1".into()]]),
            "A    BB\nxyz  1"
        );
        let s = json!({"id": "0123456789abcdef", "createdAt": "2026-01-01T00:00:00.000Z", "tags": {"h": "x"},
                       "originalSize": 2048, "storedSize": 100, "items": [{"name": "a", "size": 2048, "chunkCount": 1}]});
        let t = snapshots_table(std::slice::from_ref(&s));
        assert!(
            t.contains("01234567") && t.contains("h=x") && t.contains("2.0 KiB"),
            "{t}"
        );
        assert!(snapshot_detail(&s).contains("0123456789abcdef"));
    }
}
