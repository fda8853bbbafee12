//! `cairn`: parses the command line, runs the command, and turns an error into a message on
//! standard error (and a JSON document with `--json`) and an exit code.

use std::process::ExitCode;

use cairn::cli::Cli;
use cairn::error::CliError;
use cairn::output;
use clap::error::ErrorKind;
use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            if args.iter().any(|a| a == "--json") {
                let rendered = e.render().to_string();
                let message = rendered
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                let doc = serde_json::json!({ "error": { "code": "InvalidArgument", "message": message } });
                let _ = output::print_json(&doc);
            }
            e.exit()
        }
    };
    let json = cli.json;
    match std::panic::catch_unwind(move || cairn::commands::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => report(&e, json),
        Err(_) => ExitCode::from(cairn::error::EXIT_INTERNAL as u8),
    }
}

fn report(e: &CliError, json: bool) -> ExitCode {
    // A command that found problems has printed its answer, which is the JSON document.
    if json && !matches!(e, CliError::ProblemsFound(_)) {
        let _ = output::print_json(&e.to_json());
    }
    eprintln!("cairn: {e}");
    ExitCode::from(e.exit_code() as u8)
}
