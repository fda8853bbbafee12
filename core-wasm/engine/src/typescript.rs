//! The TypeScript contract of the JS package, generated from the Rust types (feature
//! `typescript`): every type the operation table ([`crate::ops`]) and the event table
//! ([`crate::events`]) name, the table itself as an `Operations` interface, the events as
//! `CairnEvents`, and the error and storage-failure codes as constant lists.
//!
//! The output is checked in as `js/src/generated/api.ts`; `tests/typescript.rs` fails when
//! it is stale and rewrites it with `CAIRN_BLESS=1`. The generator is specta
//! (docs/DESIGN.md, "one contract"): it follows serde's attributes (renames, flattening,
//! optional fields), and writes 64-bit integers as `number`, which is what JSON gives JS.

use std::fmt::Write;

use specta::datatype::FunctionResultVariant;
use specta::TypeCollection;
use specta_typescript::{BigIntExportBehavior, Typescript};

use crate::error::ErrorCode;
use crate::events::EVENTS;
use crate::ingest::DEFAULT_ITEM;
use crate::ops::{ANY_OP_ERRORS, OPERATIONS};
use crate::wire::StorageStatus;

/// Where the generated file lives, relative to the repository root.
pub const GENERATED_PATH: &str = "js/src/generated/api.ts";

fn config() -> Typescript {
    Typescript::default()
        .bigint(BigIntExportBehavior::Number)
        .framework_header("")
        .header("")
}

/// A JSDoc comment of `text`, indented by `indent`.
fn jsdoc(text: &str, indent: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().map(str::trim).collect();
    let mut out = format!("{indent}/**\n");
    for l in lines {
        let _ = writeln!(out, "{indent} *{}{l}", if l.is_empty() { "" } else { " " });
    }
    let _ = writeln!(out, "{indent} */");
    out
}

fn reference(ts: &Typescript, types: &TypeCollection, dt: specta::DataType) -> String {
    specta_typescript::datatype(ts, &FunctionResultVariant::Value(dt), types)
        .expect("every type of the tables exports to TypeScript")
}

fn list(names: impl Iterator<Item = &'static str>) -> String {
    names.map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// The whole generated file.
pub fn generate() -> String {
    let ts = config();
    let mut types = TypeCollection::default();
    let mut ops = String::new();
    for op in OPERATIONS {
        let args = (op.args)(&mut types);
        let answer = (op.answer)(&mut types);
        let mut doc = op.doc.trim().to_string();
        if !op.errors.is_empty() {
            let codes: Vec<&str> = op.errors.iter().map(|c| c.as_str()).collect();
            let _ = write!(
                doc,
                "\n\nMay fail with: {} (and the codes of any operation).",
                codes.join(", ")
            );
        }
        if !op.events.is_empty() {
            let _ = write!(doc, "\n\nEmits: {}.", op.events.join(", "));
        }
        ops.push_str(&jsdoc(&doc, "  "));
        let (args, answer) = (reference(&ts, &types, args), reference(&ts, &types, answer));
        let _ = writeln!(ops, "  {}: Operation<{args}, {answer}>;", op.name);
    }
    let mut events = String::new();
    for e in EVENTS {
        (e.register)(&mut types);
        events.push_str(&jsdoc(e.doc, "  "));
        let _ = writeln!(events, "  \"{}\": {};", e.name, e.payload);
    }
    // Answers the hosts compose from several operations.
    types.register::<crate::copy::CopyResult>();
    let declarations = ts.export(&types).expect("the types export to TypeScript");
    // serde_json's Value (what `cat` answers) comes from specta without a comment, and
    // TypeDoc refuses an undocumented export.
    let declarations = declarations.replace(
        "\nexport type JsonValue =",
        &format!(
            "\n{}export type JsonValue =",
            jsdoc("Any JSON value: what `cat` answers.", "")
        ),
    );

    let mut out = String::new();
    out.push_str("// @ts-self-types=\"./api.d.ts\"\n");
    out.push_str(&jsdoc(
        "The contract between the engine and the JS package, generated from the Rust types of\n\
         `cairn-core` (core-wasm/engine/src/typescript.rs). Do not edit: change the Rust types,\n\
         then run `CAIRN_BLESS=1 cargo test -p cairn-core --features typescript --test typescript`.\n\
         @module",
        "",
    ));
    out.push_str("/* eslint-disable */\n\n");
    out.push_str(declarations.trim());
    out.push_str("\n\n");
    out.push_str(&jsdoc(
        "The engine's stable error codes, the same names in every host.",
        "",
    ));
    let _ = writeln!(
        out,
        "export const ERROR_CODES = [{}] as const;\n",
        list(ErrorCode::all().map(ErrorCode::as_str))
    );
    out.push_str(&jsdoc(
        "One of {@link ERROR_CODES}: the `code` of a `CairnError`.",
        "",
    ));
    out.push_str("export type CairnErrorCode = (typeof ERROR_CODES)[number];\n\n");
    out.push_str(&jsdoc("Codes any operation may fail with.", ""));
    let _ = writeln!(
        out,
        "export const ANY_OP_ERRORS = [{}] as const;\n",
        list(ANY_OP_ERRORS.iter().map(|c| c.as_str()))
    );
    out.push_str(&jsdoc(
        "What a storage method of a JS host object throws in `error.code` (core-wasm/bindgen).",
        "",
    ));
    let _ = writeln!(
        out,
        "export const STORAGE_FAILURE_CODES = [{}] as const;\n",
        list(StorageStatus::all().map(StorageStatus::name))
    );
    out.push_str(&jsdoc("One of {@link STORAGE_FAILURE_CODES}.", ""));
    out.push_str("export type StorageFailureCode = (typeof STORAGE_FAILURE_CODES)[number];\n\n");
    out.push_str(&jsdoc(
        "The name of the item of a single-stream ingest when none is given.",
        "",
    ));
    let _ = writeln!(out, "export const DEFAULT_ITEM_NAME = \"{DEFAULT_ITEM}\";\n");
    out.push_str(&jsdoc(
        "One operation: the types of its arguments and of its answer.",
        "",
    ));
    out.push_str("export interface Operation<A, R> {\n");
    out.push_str(&jsdoc("Its arguments (a JSON object on the wire).", "  "));
    out.push_str("  args: A;\n");
    out.push_str(&jsdoc("Its answer.", "  "));
    out.push_str("  answer: R;\n}\n\n");
    out.push_str(&jsdoc("Every operation of the engine, by name.", ""));
    let _ = writeln!(out, "export interface Operations {{\n{ops}}}\n");
    out.push_str(&jsdoc("The name of an operation.", ""));
    out.push_str("export type OperationName = keyof Operations;\n\n");
    out.push_str(&jsdoc("Every event and its payload.", ""));
    let _ = writeln!(out, "export interface CairnEvents {{\n{events}}}");
    out
}
