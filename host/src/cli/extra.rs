//! The arguments of the commands about `cairn` itself (`completion`, `version`), and the
//! words of other backup tools that `cairn` answers with its own.

use clap::Args;
use clap_complete::Shell;

/// `cairn completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

/// restic's (and borg's, kopia's) commands that `cairn` names differently, each with what
/// to run instead: an unknown subcommand found here is answered with the suggestion.
pub const OTHER_TOOLS_WORDS: &[(&str, &str)] = &[
    (
        "backup",
        "`cairn ingest` stores files or standard input as a snapshot",
    ),
    (
        "create",
        "`cairn ingest` stores files or standard input as a snapshot",
    ),
    (
        "check",
        "`cairn verify` checks the repository (`--read-data-subset` reads part of the packs)",
    ),
    (
        "dump",
        "`cairn restore REPO SNAPSHOT --item NAME` writes one item to standard output",
    ),
    (
        "list",
        "`cairn snapshots` lists snapshots, `cairn key list` the keys",
    ),
    (
        "mount",
        "no mount here: `cairn ls` lists a tree, `cairn restore --target DIR` restores it",
    ),
    (
        "rebuild-index",
        "`cairn reindex` rebuilds the index from the packs",
    ),
];

/// The suggestion for `word`, another tool's command, if there is one.
pub fn other_tools_word(word: &str) -> Option<&'static str> {
    OTHER_TOOLS_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, suggestion)| *suggestion)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn no_suggested_word_is_a_cairn_command() {
        let cli = crate::cli::Cli::command();
        for (word, suggestion) in OTHER_TOOLS_WORDS {
            assert!(cli.find_subcommand(word).is_none(), "`{word}` is a cairn command");
            assert!(suggestion.contains("cairn"), "{suggestion}");
        }
        assert!(other_tools_word("backup").is_some_and(|s| s.contains("ingest")));
        assert_eq!(other_tools_word("snapshots"), None);
    }
}
