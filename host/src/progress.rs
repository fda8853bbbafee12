//! Progress bars on standard error, shown only when it is a terminal and not `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use cairn_core::events::{self, INGEST_PROGRESS, VERIFY_PROGRESS};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::imports::EventSink;
use crate::output;

/// A progress bar, or nothing when standard error is not a terminal.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

const WITH_TOTAL: &str = "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})";
const WITHOUT_TOTAL: &str = "{spinner} {msg} {bytes} ({bytes_per_sec})";

impl Progress {
    /// A bar for `total` bytes (a spinner when unknown), labelled `message`. It stays hidden
    /// until [`Progress::show`], so that it does not draw over a passphrase prompt.
    pub fn new(total: Option<u64>, message: &str) -> Self {
        if !std::io::stderr().is_terminal() || output::verbosity() == output::Verbosity::Quiet {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        bar.set_style(style(total.is_some()));
        bar.set_message(message.to_string());
        Progress { bar: Some(bar) }
    }

    /// Starts drawing, with the clock (rate, ETA) starting now.
    pub fn show(&self) {
        if let Some(bar) = &self.bar {
            bar.reset_elapsed();
            bar.reset_eta();
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    /// Moves the bar to `bytes` done.
    pub fn set_position(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// An event sink that drives this bar from the engine's progress events
    /// (`ingest:progress`, `verify:progress`, whose payload is [`events::Progress`]).
    pub fn sink(&self) -> EventSink {
        let Some(bar) = self.bar.clone() else {
            return Box::new(|_, _| {});
        };
        Box::new(move |name, payload| {
            if name != INGEST_PROGRESS.name() && name != VERIFY_PROGRESS.name() {
                return;
            }
            let Ok(p) = serde_json::from_str::<events::Progress>(payload) else {
                return;
            };
            if let Some(total) = p.total_bytes {
                if bar.length() != Some(total) {
                    bar.set_length(total);
                    bar.set_style(style(true));
                }
            }
            bar.set_position(p.bytes_processed);
            bar.set_message(p.message);
        })
    }
}

fn style(with_total: bool) -> ProgressStyle {
    ProgressStyle::with_template(if with_total { WITH_TOTAL } else { WITHOUT_TOTAL })
        .expect("a valid template")
        .progress_chars("=> ")
}
