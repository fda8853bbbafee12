//! The engine's parser of HTTP directory listings ([`cairn_core::http_listing`]) for the JS
//! package's HTTP storage (`js/src/storage-http.ts`), so that the browser, Node and Deno
//! list a served repository with the same code as the CLI (docs/DESIGN.md §22). Only
//! parsing crosses here; the JS side does the requests.

use cairn_core::http_listing::{self, Entry};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::convert::js_error;

/// The entries of an HTML directory listing (Python `http.server`, nginx `autoindex`):
/// file names as they are, subdirectory names with a trailing `/`.
#[wasm_bindgen(js_name = parseHtmlListing)]
pub fn parse_html_listing(html: &str) -> Vec<String> {
    http_listing::parse_html(html)
        .into_iter()
        .map(|e| match e {
            Entry::File(name) => name,
            Entry::Dir(name) => format!("{name}/"),
        })
        .collect()
}

/// One page of an S3 `ListObjectsV2` answer as `{ keys: string[], nextToken?: string }`;
/// throws `{code: "Io", message}` saying what the server sent when it is not one.
#[wasm_bindgen(js_name = parseListObjectsV2)]
pub fn parse_list_objects_v2(xml: &str) -> Result<JsValue, JsValue> {
    let page = http_listing::parse_list_objects_v2(xml).map_err(|e| js_error("Io", &e))?;
    let keys: Array = page.keys.iter().map(|k| JsValue::from_str(k)).collect();
    let obj = Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(&obj, &"keys".into(), &keys);
    if let Some(token) = page.next_token {
        let _ = Reflect::set(&obj, &"nextToken".into(), &token.into());
    }
    Ok(obj.into())
}

/// The query string of a `ListObjectsV2` request for keys under `prefix`, continuing at
/// `token` when given.
#[wasm_bindgen(js_name = listObjectsV2Query)]
pub fn list_objects_v2_query(prefix: &str, token: Option<String>) -> String {
    http_listing::list_objects_v2_query(prefix, token.as_deref())
}

/// `s` percent-encoded as a URL path (everything but RFC 3986's unreserved characters and `/`).
#[wasm_bindgen(js_name = percentEncode)]
pub fn percent_encode(s: &str) -> String {
    http_listing::percent_encode(s)
}
