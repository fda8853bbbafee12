# The `cairn` CLI for the scripts that run it (tests/storage, bench): source this, then
# use "$cairn". CAIRN names a CLI built already (tests/run exports the one its test step
# built, so no script compiles it again with a narrower feature set, docs/DESIGN.md §31);
# without it, the workspace's release build, built here if need be with the tests' own
# selection (tests/lib/cargo.sh), so that the test run after it compiles nothing again.
if [ -n "${CAIRN:-}" ]; then
    cairn=$CAIRN
else
    source "$(dirname "${BASH_SOURCE[0]}")/cargo.sh"
    cargo build -q "${NATIVE[@]}" --all-targets
    cairn=${CARGO_TARGET_DIR:-$PWD/target}/release/cairn
fi
