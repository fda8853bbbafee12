//! `cairn`: parses the command line, runs the command, and turns an error into a message on
//! standard error (and a JSON document with `--json`) and an exit code.

use std::process::ExitCode;

use cairn::cli::{other_tools_word, Cli};
use cairn::error::{CliError, EXIT_USAGE};
use cairn::output::{self, Verbosity};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

fn main() -> ExitCode {
    cairn::allocator::keep_freed_memory();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            if let Some(code) = other_tools_command(&e, json) {
                return code;
            }
            if json {
                let rendered = e.render().to_string();
                let message = rendered
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                usage_json(message);
            }
            e.exit()
        }
    };
    output::set_verbosity(match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    });
    let json = cli.json;
    cairn::tree::raise_open_file_limit();
    match std::panic::catch_unwind(move || cairn::commands::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => report(&e, json),
        Err(_) => ExitCode::from(cairn::error::EXIT_INTERNAL as u8),
    }
}

/// An unknown subcommand that is another backup tool's word (`backup`, `check`, ...) is
/// answered with what `cairn` does instead; usage error.
fn other_tools_command(e: &clap::Error, json: bool) -> Option<ExitCode> {
    if e.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let suggestion = other_tools_word(word)?;
    let message = format!("`{word}` is not a cairn command: {suggestion}");
    if json {
        usage_json(&message);
    }
    eprintln!("cairn: {message}\n(`cairn --help` lists the commands)");
    Some(ExitCode::from(EXIT_USAGE as u8))
}

fn usage_json(message: &str) {
    let doc = serde_json::json!({ "error": { "code": "InvalidArgument", "message": message } });
    let _ = output::print_json(&doc);
}

fn report(e: &CliError, json: bool) -> ExitCode {
    // A command that found problems has printed its answer, which is the JSON document.
    if json && !matches!(e, CliError::ProblemsFound(_)) {
        let _ = output::print_json(&e.to_json());
    }
    eprintln!("cairn: {e}");
    ExitCode::from(e.exit_code() as u8)
}
