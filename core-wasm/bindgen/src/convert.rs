//! Conversions between JS values and the engine's: method look-ups on a host object,
//! byte arrays, and errors in both directions.

use cairn_core::error::Error;
use cairn_core::host::StorageError;
use cairn_core::wire::StorageStatus;
use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

/// The method `name` of a host object, if it has one.
pub fn method(host: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(host, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// The method `name` of a host object; an `InvalidArgument` error if it has none.
pub fn required(host: &JsValue, name: &str) -> Result<Function, JsValue> {
    method(host, name).ok_or_else(|| {
        js_error(
            "InvalidArgument",
            &format!("invalid argument: the host object has no `{name}` method"),
        )
    })
}

/// A `{code, message}` object, the shape every error thrown to JS has.
pub fn js_error(code: &str, message: &str) -> JsValue {
    let obj = js_sys::Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(&obj, &"code".into(), &code.into());
    let _ = Reflect::set(&obj, &"message".into(), &message.into());
    obj.into()
}

/// An engine error as JS sees it.
pub fn engine_error(e: Error) -> JsValue {
    js_error(e.code().as_str(), &e.to_string())
}

/// A string field of a thrown value (`code`, `message`), if it has one.
fn field(thrown: &JsValue, name: &str) -> Option<String> {
    Reflect::get(thrown, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_string())
}

/// What a thrown value says: its `message`, or itself when it is a string.
pub fn thrown_message(thrown: &JsValue, otherwise: &str) -> String {
    field(thrown, "message")
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| otherwise.into())
}

/// Maps what a storage method threw to a [`StorageError`].
pub fn storage_error(thrown: JsValue) -> StorageError {
    let status = field(&thrown, "code")
        .as_deref()
        .and_then(StorageStatus::from_name)
        .unwrap_or(StorageStatus::Io);
    status.error(thrown_message(&thrown, "the JS host's storage failed"))
}

/// The bytes of a `Uint8Array`, copied; `None` for anything else.
pub fn bytes(v: &JsValue) -> Option<Vec<u8>> {
    v.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}

/// A 32-byte digest; `None` for anything else.
pub fn digest(v: &JsValue) -> Option<[u8; 32]> {
    bytes(v).and_then(|b| b.try_into().ok())
}
