//! The engine's structure, checked: the module graph has no cycle (each layer uses only
//! those below it, see the crate docs), and no source file is over 450 lines.
//!
//! Dependencies are read from the code (`crate::module` paths, and `super::` inside a
//! module's own directory), not from doc comments, and not from the test modules at the
//! end of each file or in files of their own, which may use test helpers of any layer.

// It reads the source tree, which the wasm32-wasip1 run (no file system) cannot.
#![cfg(not(target_os = "wasi"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file allowed, in lines.
const MAX_LINES: usize = 450;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// True for a file that holds a module's unit tests (`tests.rs`, `*_tests.rs`), which,
/// like the test module at the end of a file, may use test helpers of any layer.
fn is_test_module(file: &Path) -> bool {
    let name = file.file_name().unwrap().to_string_lossy();
    name == "tests.rs" || name.ends_with("_tests.rs")
}

/// The top-level module a source file belongs to (`verify/packs.rs` is part of `verify`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The modules this code names as `crate::name`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // `$crate::__macro` names an exported macro, not a module.
            if !name.is_empty() && !name.starts_with("__") {
                out.insert(name);
            }
        }
        // `use crate::{a, b::c}` groups.
        if let Some(group) = line.strip_prefix("use crate::{") {
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// The code of a file without its test module (by convention, everything from the last
/// `#[cfg(test)]` on).
fn without_tests(text: &str) -> &str {
    match text.rfind("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// A cycle in `graph`, if it has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|n| n == node).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle_and_files_stay_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut too_long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines = text.lines().count();
        if lines > MAX_LINES {
            too_long.push(format!("{} has {lines} lines", file.display()));
        }
        let module = module_of(&src, file);
        if module == "lib" {
            continue;
        }
        let deps = graph.entry(module.clone()).or_default();
        if is_test_module(file) {
            continue;
        }
        deps.extend(uses(without_tests(&text)).into_iter().filter(|d| *d != module));
    }
    assert!(too_long.is_empty(), "files over {MAX_LINES} lines: {too_long:?}");
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, deps) in &graph {
        let unknown: Vec<&String> = deps.iter().filter(|d| !known.contains(*d)).collect();
        assert!(unknown.is_empty(), "{module} names unknown modules {unknown:?}");
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the engine's modules form a cycle: {}", cycle.join(" -> "));
    }
    assert!(graph.len() > 30, "the scan found the modules ({})", graph.len());
}

#[test]
fn the_checks_themselves_work() {
    let code = "use crate::{a, b::c};\n/// crate::doc\nfn f() { crate::d::e(); }\n#[cfg(test)]\nmod tests { use crate::z; }";
    let found: Vec<String> = uses(without_tests(code)).into_iter().collect();
    assert_eq!(found, ["a", "b", "d"]);
    let mut g = BTreeMap::new();
    g.insert("x".to_string(), BTreeSet::from(["y".to_string()]));
    g.insert("y".to_string(), BTreeSet::from(["x".to_string()]));
    assert_eq!(find_cycle(&g), Some(vec!["x".into(), "y".into(), "x".into()]));
    g.insert("y".to_string(), BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn every_test_file_runs() {
    // Cargo.toml turns off the discovery of test files (`autotests = false`), so a file
    // of `tests/` runs only if `tests/engine.rs` declares it or Cargo.toml names it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine = std::fs::read_to_string(root.join("tests/engine.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        let declared = engine.lines().any(|l| l.trim() == format!("mod {stem};"));
        let own_binary = manifest.contains(&format!("path = \"tests/{name}\""));
        if !declared && !own_binary {
            missing.push(name.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "test files that would never run: {missing:?} (declare them in tests/engine.rs)"
    );
}
