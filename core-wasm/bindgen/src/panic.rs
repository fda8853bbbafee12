//! Panics: a panic in the module traps (`unreachable`, a `WebAssembly.RuntimeError` in JS)
//! after its message is recorded here, for the host to report as an internal error.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

thread_local! {
    /// The message of the last panic, until the host takes it.
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records a panic's message before the module traps (installed once per instance).
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(info.to_string()));
        }));
    });
}

/// The message of the panic behind the last trap, once; `undefined` if there was none.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    PANIC_MESSAGE.with(|m| m.borrow_mut().take())
}
