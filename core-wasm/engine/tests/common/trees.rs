//! Model trees for the tree tests: entries as the API takes them, ingested and walked back
//! through the operation table.

use super::{sample, Engine};
use serde_json::{json, Value};

/// One entry of a model tree, in walk order: its depth, its entry JSON, a file's bytes.
#[derive(Clone)]
pub struct Model {
    /// Its depth in the walk.
    pub depth: usize,
    /// Its entry as the API takes it.
    pub entry: Value,
    /// A file's bytes.
    pub data: Vec<u8>,
}

pub fn entry(name: &str, kind: &str, mtime: i64) -> Value {
    json!({"name": name, "kind": kind, "mode": 0o644, "uid": 1000, "gid": 100, "user": "ann",
           "group": "users", "mtime": mtime, "mtimeNs": 5, "ctime": mtime, "ctimeNs": 7,
           "dev": 1, "inode": mtime as u64, "links": 1})
}

pub fn file(depth: usize, name: &str, data: Vec<u8>, mtime: i64) -> Model {
    let mut e = entry(name, "file", mtime);
    e["size"] = json!(data.len());
    Model {
        depth,
        entry: e,
        data,
    }
}

pub fn other(depth: usize, mut e: Value) -> Model {
    if e["kind"] == "dir" {
        e["mode"] = json!(0o755);
    }
    Model {
        depth,
        entry: e,
        data: Vec::new(),
    }
}

/// A tree with every kind of entry: nested directories, empty, inline and long files, a
/// link, a pipe, a device, a name that is not UTF-8 and extended attributes.
pub fn sample_tree() -> Vec<Model> {
    let mut link = entry("link", "symlink", 9);
    link["target"] = json!("../elsewhere");
    let mut dev = entry("null", "char", 10);
    dev["rdev"] = json!(259);
    let mut bad = entry("\u{fffd}name", "file", 11);
    bad["nameHex"] = json!("ff6e616d65");
    bad["size"] = json!(3);
    let mut attrs = file(2, "attrs", sample(2000, 3), 12);
    attrs.entry["xattrs"] =
        json!([{"name": "user.a", "valueHex": "00ff"}, {"name": "user.b", "valueHex": ""}]);
    vec![
        other(0, entry("root", "dir", 1)),
        file(1, "a.txt", sample(3000, 1), 2),
        other(1, entry("dir", "dir", 3)),
        attrs,
        file(2, "big.bin", sample(200_000, 2), 4),
        other(2, entry("deeper", "dir", 5)),
        file(3, "empty", Vec::new(), 6),
        other(1, entry("fifo", "fifo", 7)),
        other(1, link),
        other(1, dev),
        Model {
            depth: 1,
            entry: bad,
            data: b"xyz".to_vec(),
        },
    ]
}

/// Ingests a model tree as item `name` (after `parent`, if given); answers the snapshot
/// and the names of the files whose bytes the engine asked for.
pub fn ingest_tree(e: &mut Engine, tree: &[Model], name: &str, parent: Option<&str>) -> (Value, Vec<String>) {
    let s = e.begin(json!({}));
    let mut args = json!({"session": s, "name": name});
    match parent {
        Some("auto") => {}
        Some(p) => args["parent"] = json!(p),
        None => args["noParent"] = json!(true),
    }
    e.call("ingest_tree", args);
    let mut open = 0usize;
    let mut read = Vec::new();
    for m in tree {
        while open > m.depth {
            e.call("tree_leave", json!({"session": s}));
            open -= 1;
        }
        let answer = e.call("tree_entry", json!({"session": s, "entry": m.entry}));
        if answer["content"] == true {
            read.push(m.entry["name"].as_str().unwrap().to_string());
            for piece in m.data.chunks(777) {
                e.api.write(s, piece).unwrap();
            }
        }
        if m.entry["kind"] == "dir" {
            open += 1;
        }
    }
    // The last directories are left open: finishing closes them.
    (e.call("ingest_finish", json!({"session": s})), read)
}

/// Walks a tree item back: every step with its file's bytes.
pub fn walk(e: &mut Engine, snapshot: &str, args: Value) -> Vec<(Value, Vec<u8>)> {
    let mut a = args;
    a["snapshot"] = json!(snapshot);
    let s = e.call("walk_begin", a)["session"].as_u64().unwrap() as u32;
    let mut out = Vec::new();
    loop {
        let step = e.call("walk_next", json!({"session": s}));
        if step.is_null() {
            break;
        }
        let data = e.drain(s);
        out.push((step, data));
    }
    e.call("restore_end", json!({"session": s}));
    out
}
