//! The checksum line of the plain JSON files people may read and that nothing else names
//! by hash: `config.json` and key files (docs/FORMAT.md §3a).
//!
//! A writer serialises the object as pretty JSON, then one `"\n"`; the *body* is those
//! bytes without their first two (`{` and its newline). The file is
//! `{\n  "checksum": "<SHA-256 of the body, 64 hex>",\n` followed by the body, so the
//! checksum is the object's first field and covers every byte after its own line,
//! including the final newline. A reader checks it on the bytes as read, never on a
//! re-serialisation.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The name of the field.
pub const FIELD: &str = "checksum";
/// What every checksummed file starts with, before the 64 hex digits.
const HEAD: &[u8] = b"{\n  \"checksum\": \"";
/// What follows the hex digits.
const TAIL: &[u8] = b"\",\n";
/// Length of the whole checksum line, from the opening brace.
const LINE: usize = HEAD.len() + 64 + TAIL.len();

/// Puts the checksum line in front of `pretty`: pretty JSON of an object, then `"\n"`.
pub fn prepend(pretty: &[u8]) -> Vec<u8> {
    let body = pretty
        .strip_prefix(b"{\n")
        .expect("pretty JSON of a non-empty object");
    let mut out = Vec::with_capacity(LINE + body.len());
    out.extend_from_slice(HEAD);
    out.extend_from_slice(hex::encode(Sha256::digest(body)).as_bytes());
    out.extend_from_slice(TAIL);
    out.extend_from_slice(body);
    out
}

/// Checks a file whose JSON has been parsed into `parsed` (an object). `Ok(true)`: it has a
/// checksum and the checksum matches; `Ok(false)`: it has none (a file from before
/// checksums), which is accepted only when `known`, the file re-serialised from what the
/// reader understood, names every field it holds (at every depth), since a damaged field
/// name would otherwise go unseen. `Err` says what is wrong.
pub fn check(bytes: &[u8], parsed: &Value, known: &Value) -> Result<bool, String> {
    if parsed.get(FIELD).is_none() {
        return match unknown_field(parsed, known, "") {
            Some(path) => Err(format!(
                "it has no checksum and holds the field `{path}`, which no writer writes: it was damaged or edited"
            )),
            None => Ok(false),
        };
    }
    let line_ok = bytes.len() > LINE
        && bytes.starts_with(HEAD)
        && bytes[HEAD.len() + 64..].starts_with(TAIL)
        && bytes[HEAD.len()..HEAD.len() + 64]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if !line_ok {
        return Err(
            "its checksum line is not the first line in the form writers write: it was damaged or edited"
                .into(),
        );
    }
    let recorded = &bytes[HEAD.len()..HEAD.len() + 64];
    if hex::encode(Sha256::digest(&bytes[LINE..])).as_bytes() != recorded {
        return Err("its bytes do not match its checksum: it was damaged or edited".into());
    }
    Ok(true)
}

/// The path of the first field of `parsed` that `known` does not have, if any.
fn unknown_field(parsed: &Value, known: &Value, at: &str) -> Option<String> {
    let (Value::Object(p), Value::Object(k)) = (parsed, known) else {
        return None;
    };
    p.iter().find_map(|(name, value)| {
        let path = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}.{name}")
        };
        match k.get(name) {
            None => Some(path),
            Some(kv) => unknown_field(value, kv, &path),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file() -> (Vec<u8>, Value) {
        let v = json!({ "a": 1, "b": { "c": "x" } });
        let mut pretty = serde_json::to_vec_pretty(&v).unwrap();
        pretty.push(b'\n');
        (prepend(&pretty), v)
    }

    #[test]
    fn the_checksum_is_the_first_line_and_covers_every_later_byte() {
        let (bytes, v) = file();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\n  \"checksum\": \""), "{text}");
        assert!(text.ends_with("  }\n}\n"), "{text}");
        let parsed: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(check(&bytes, &parsed, &v), Ok(true));
        for at in LINE..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(check(&bad, &parsed, &v).is_err(), "byte {at}");
        }
        let short = &bytes[..bytes.len() - 1];
        assert!(check(short, &parsed, &v).is_err());
    }

    #[test]
    fn a_file_without_checksum_may_hold_only_known_fields() {
        let v = json!({ "a": 1, "b": { "c": "x" } });
        let bytes = serde_json::to_vec(&v).unwrap();
        assert_eq!(check(&bytes, &v, &v), Ok(false));
        let odd = json!({ "a": 1, "b": { "c": "x", "d": 2 } });
        let e = check(&serde_json::to_vec(&odd).unwrap(), &odd, &v).unwrap_err();
        assert!(e.contains("`b.d`"), "{e}");
        // A checksum that is not where writers put it.
        let moved = json!({ "a": 1, "checksum": "00", "b": { "c": "x" } });
        assert!(check(&serde_json::to_vec(&moved).unwrap(), &moved, &v).is_err());
    }
}
