//! `cairn copy`: snapshots from one repository into another. The engine does the work
//! (`known_originals` on the destination, an export session on the source, an import
//! session on the destination: docs/DESIGN.md §30); this opens both and moves the bytes.

use cairn_core::copy::{CopyResult, ExportArgs};
use cairn_core::ops::{self, NoArgs, SessionHandle};

use super::{no_events, with_repo, Globals};
use crate::cli::CopyArgs;
use crate::error::{CliError, Result};
use crate::output::short_id;
use crate::passphrase::{Sources, TO_VARS};
use crate::progress::Progress;

/// Runs `cairn copy`.
pub fn run(g: &Globals, a: CopyArgs) -> Result<()> {
    let mut args = a.args.into_iter();
    let source = match g.repo.is_some() {
        true => None,
        false => args.next(),
    };
    let Some(destination) = args.next() else {
        return Err(CliError::Location(
            "give the destination repository after the source".into(),
        ));
    };
    let from = g.locate(source, &mut [])?;
    let to = Globals {
        passphrase: Sources {
            file: a.to_passphrase_file,
            command: a.to_passphrase_command,
            vars: TO_VARS,
        },
        repo: None,
        ..g.clone()
    };
    let to_location = to.locate(Some(destination), &mut [])?;
    let snapshots = args
        .map(|s| super::required(Some(s), "SNAPSHOT"))
        .collect::<Result<Vec<String>>>()?;
    let progress = Progress::new(None, "copying");
    let result = with_repo(g, &from, no_events(), |src| {
        with_repo(&to, &to_location, progress.sink(), |dst| {
            progress.show();
            let export = ExportArgs {
                snapshots,
                filter: a.filter.filter(),
                skip: dst.call::<ops::KnownOriginals>(&NoArgs {})?,
            };
            let begun = src.call::<ops::ExportBegin>(&export)?;
            let import = dst.call::<ops::ImportBegin>(&NoArgs {})?;
            loop {
                let block = src.runtime().read(begun.session)?;
                if block.is_empty() {
                    break;
                }
                dst.runtime().write(import.session, &block)?;
            }
            let copied = dst.call::<ops::ImportFinish>(&import)?;
            src.call::<ops::RestoreEnd>(&SessionHandle {
                session: begun.session,
            })?;
            Ok(CopyResult {
                copied,
                skipped: begun.skipped,
            })
        })
    });
    progress.finish();
    g.report(&result?, copy_text)
}

fn copy_text(r: &CopyResult) -> String {
    let mut lines: Vec<String> = r
        .copied
        .iter()
        .map(|c| {
            format!(
                "copied snapshot {} as {}",
                short_id(&c.from.to_hex()),
                short_id(&c.to.to_hex())
            )
        })
        .collect();
    lines.extend(r.skipped.iter().map(|id| {
        format!(
            "skipped snapshot {}: the destination has it",
            short_id(&id.to_hex())
        )
    }));
    lines.push(format!(
        "{} snapshots copied, {} there already",
        r.copied.len(),
        r.skipped.len()
    ));
    lines.join("\n")
}
