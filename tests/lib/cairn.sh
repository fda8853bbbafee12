# The `cairn` CLI for the scripts that run it (tests/storage, bench): source this, then
# use "$cairn". CAIRN names a CLI built already (tests/run exports the one its test step
# built, so no script compiles it again with a narrower feature set, docs/DESIGN.md §31);
# without it, the workspace's release build, built here if need be.
if [ -n "${CAIRN:-}" ]; then
    cairn=$CAIRN
else
    cargo build --release -q -p cairn
    cairn=${CARGO_TARGET_DIR:-$PWD/target}/release/cairn
fi
