// @ts-self-types="./api.d.ts"
/**
 * The contract between the engine and the JS package, generated from the Rust types of
 * `cairn-core` (core-wasm/engine/src/typescript.rs). Do not edit: change the Rust types,
 * then run `CAIRN_BLESS=1 cargo test -p cairn-core --features typescript --test typescript`.
 * @module
 */
/* eslint-disable */

/**
 * A blob (a chunk or a chunk-list piece): SHA-256 of its plaintext, keyed (HMAC) in
 * encrypted repositories.
 */
export type BlobId = string

/**
 * Arguments of `cat`.
 */
export type CatArgs = { 
/**
 * What to show.
 */
what: CatWhat; 
/**
 * The snapshot (full id, unique prefix or `latest`) or pack (full id or unique
 * prefix); nothing for `config` and `index`.
 */
id?: string | null }

/**
 * What `cat` shows.
 */
export type CatWhat = 
/**
 * `config.json`, as this engine reads it.
 */
"config" | 
/**
 * A snapshot's manifest, opened: the JSON it holds, chunk-list ids included.
 */
"snapshot" | 
/**
 * Every index segment: the segments it supersedes, its packs and their blobs.
 */
"index" | 
/**
 * A pack's entry table (from its `.idx`): each blob's id, kind, codec, offset and
 * lengths.
 */
"pack"

/**
 * How an entry changed.
 */
export type Change = 
/**
 * Only in the newer tree.
 */
"added" | 
/**
 * Only in the older tree.
 */
"removed" | 
/**
 * A file's content, a link's target, or the kind of entry changed.
 */
"modified" | 
/**
 * Only mode, owner, modification time, extended attributes or device number changed.
 */
"metadata"

/**
 * Chunk size bounds in bytes, as stored in `config.json`.
 */
export type ChunkingParams = { 
/**
 * Smallest chunk (except the last of a stream).
 */
min: number; 
/**
 * Target average.
 */
avg: number; 
/**
 * Largest chunk.
 */
max: number }

/**
 * Who runs the engine: recorded in locks so people can tell whose lock they see.
 */
export type Client = { 
/**
 * Host name.
 */
hostname: string; 
/**
 * Process id on that host.
 */
pid: number; 
/**
 * User name ([`UNKNOWN_USER`] when the host cannot tell).
 */
user: string }

/**
 * Codec names as written in `config.json` and accepted from users.
 */
export type CodecName = 
/**
 * gzip (deflate) via `miniz_oxide`.
 */
"gzip" | 
/**
 * zstd via `structured-zstd`, the default.
 */
"zstd" | 
/**
 * No compression.
 */
"none"

/**
 * The repository's compression setting, as in `config.json`.
 */
export type Compression = { 
/**
 * `gzip`, `zstd` or `none`.
 */
codec: CodecName; 
/**
 * gzip: deflate level 1..=9; zstd: 1..=19 (the C zstd numbering); none: 0.
 */
level: number }

/**
 * One snapshot copied: its id in the source and in the destination.
 */
export type Copied = { 
/**
 * The source snapshot.
 */
from: SnapshotId; 
/**
 * The new snapshot in the destination.
 */
to: SnapshotId }

/**
 * What a copy did: the answer of the CLI's `copy --json` and of the JS package's
 * `copy`, which drive `export_begin`, `import_begin` and `import_finish`.
 */
export type CopyResult = { 
/**
 * The snapshots copied, in order.
 */
copied: Copied[]; 
/**
 * The source snapshots left out because the destination has them (or a copy).
 */
skipped: SnapshotId[] }

/**
 * Arguments of `tree_diff`.
 */
export type DiffArgs = { 
/**
 * The older snapshot: a full id, a unique prefix of one, or `latest`.
 */
from: string; 
/**
 * The newer snapshot.
 */
to: string; 
/**
 * The tree item (in both); left out, the newer snapshot's only tree item.
 */
item?: string | null; 
/**
 * Narrows `latest` (in either) to the newest snapshot that passes it; an id or
 * prefix must name a snapshot that passes it.
 */
filter?: SnapshotFilter }

/**
 * The answer of an operation that answers nothing.
 */
export type Done = Record<string, never>

/**
 * One entry of a tree, as the host describes it and as listings show it.
 */
export type Entry = { 
/**
 * Its name in its directory (text; invalid UTF-8 replaced, see `nameHex`).
 */
name: string; 
/**
 * The name's bytes as hex, present only when they are not UTF-8.
 */
nameHex?: string | null; 
/**
 * What it is.
 */
kind: EntryKind; 
/**
 * Permission bits with set-user-id, set-group-id and sticky (`st_mode & 0o7777`).
 */
mode: number; 
/**
 * Owner's user id.
 */
uid?: number; 
/**
 * Owner's group id.
 */
gid?: number; 
/**
 * Owner's user name, empty when unknown.
 */
user?: string; 
/**
 * Owner's group name, empty when unknown.
 */
group?: string; 
/**
 * Modification time, seconds since the Unix epoch.
 */
mtime?: number; 
/**
 * Nanoseconds of the modification time.
 */
mtimeNs?: number; 
/**
 * Status-change time, seconds (change detection only; never restored).
 */
ctime?: number; 
/**
 * Nanoseconds of the status-change time.
 */
ctimeNs?: number; 
/**
 * Device of the file system holding it (change detection and hard links).
 */
dev?: number; 
/**
 * Inode number (change detection and hard links).
 */
inode?: number; 
/**
 * Hard links to it; entries with more than one and the same `dev` and `inode` are
 * restored as links to one file.
 */
links?: number; 
/**
 * A file's bytes (set by the engine from the bytes it stored), a link's target length.
 */
size?: number; 
/**
 * A symbolic link's target (text; see `targetHex`).
 */
target?: string | null; 
/**
 * The target's bytes as hex, present only when they are not UTF-8.
 */
targetHex?: string | null; 
/**
 * A device's number (`st_rdev`).
 */
rdev?: number; 
/**
 * Extended attributes, sorted by name.
 */
xattrs?: Xattr[] }

/**
 * What an entry is.
 */
export type EntryKind = 
/**
 * A regular file.
 */
"file" | 
/**
 * A directory.
 */
"dir" | 
/**
 * A symbolic link.
 */
"symlink" | 
/**
 * A named pipe.
 */
"fifo" | 
/**
 * A character device.
 */
"char" | 
/**
 * A block device.
 */
"block"

/**
 * Arguments of `export_begin`.
 */
export type ExportArgs = { 
/**
 * The snapshots: full ids, unique prefixes or `latest` (the newest `filter` passes);
 * left out, every snapshot `filter` passes. They are exported oldest first.
 */
snapshots?: string[]; 
/**
 * Which snapshots count.
 */
filter?: SnapshotFilter; 
/**
 * What the destination has (its `known_originals`): a snapshot whose id or
 * `original` is among them is left out.
 */
skip?: SnapshotId[] }

/**
 * The answer of `export_begin`.
 */
export type ExportBegun = { 
/**
 * The session `read` drains (an empty block at the end) and `restore_end` ends.
 */
session: number; 
/**
 * The snapshots the stream holds, in order.
 */
snapshots: SnapshotId[]; 
/**
 * The snapshots left out, which the destination has.
 */
skipped: SnapshotId[]; 
/**
 * Bytes of content in the stream (its frames add a little).
 */
size: number }

/**
 * Arguments of `find`.
 */
export type FindArgs = { 
/**
 * What to look for, in gitignore's syntax: a name (`*.conf`) at any depth, or a path
 * from the tree's root (`/etc/*.conf`); an entry any one matches is found.
 */
patterns: string[]; 
/**
 * Look only in these snapshots (full ids, unique prefixes or `latest`); left out,
 * in every snapshot.
 */
snapshots?: string[]; 
/**
 * Look only in the tree item of this name.
 */
item?: string | null; 
/**
 * Look only in snapshots with all these tags.
 */
tags?: Partial<{ [key in string]: string }> }

/**
 * Arguments of `forget`: the snapshots named, or those a policy does not keep.
 */
export type ForgetOptions = { 
/**
 * The snapshots to forget: full ids, unique prefixes, or `latest` (the newest that
 * `filter` passes).
 */
snapshots?: string[]; 
/**
 * Instead of naming snapshots: forget those this policy does not keep, among the
 * snapshots `filter` passes.
 */
retention?: RetentionPolicy | null; 
/**
 * Which snapshots `snapshots` may name, or the policy decides among.
 */
filter?: SnapshotFilter; 
/**
 * Only report what would be done.
 */
dryRun?: boolean; 
/**
 * Then free the space only the forgotten snapshots used, as `prune` does (and, as
 * prune, refuse while a snapshot vanished). Alone, without snapshots or a policy:
 * forget nothing and free the space no snapshot needs.
 */
prune?: boolean }

/**
 * The entries found in one tree item of one snapshot (the answer of `find`).
 */
export type Found = { 
/**
 * The snapshot's full id.
 */
snapshot: SnapshotId; 
/**
 * When it was taken, RFC 3339 UTC.
 */
createdAt: string; 
/**
 * The tree item.
 */
item: string; 
/**
 * The entries matched, in walk order, with paths from the item's root.
 */
matches: TreeStep[] }

/**
 * Arguments of `ingest_begin`.
 */
export type IngestBeginArgs = { 
/**
 * Tags of the new snapshot.
 */
tags?: Partial<{ [key in string]: string }>; 
/**
 * Bytes the ingest will receive, when known (for progress percentages).
 */
totalBytes?: number | null; 
/**
 * The host the snapshot is taken on, recorded in it (the CLI: the machine's name);
 * left out when unknown.
 */
host?: string | null; 
/**
 * The user taking it, recorded in it; left out when unknown.
 */
user?: string | null }

/**
 * Payload of `ingest:complete`.
 */
export type IngestComplete = { 
/**
 * The new snapshot's id.
 */
snapshotId: SnapshotId; 
/**
 * Chunks stored.
 */
newChunks: number; 
/**
 * Chunks deduplicated.
 */
reusedChunks: number; 
/**
 * Bytes of input.
 */
originalSize: number; 
/**
 * Bytes stored.
 */
storedSize: number }

/**
 * Arguments of `ingest_item`.
 */
export type IngestItemArgs = { 
/**
 * The ingest session.
 */
session: number; 
/**
 * The item's name, unique in the snapshot.
 */
name: string; 
/**
 * Its free-form type.
 */
type?: string | null; 
/**
 * Where its bytes come from, recorded in the snapshot: an absolute path, or `-` for
 * standard input or a stream without one.
 */
path?: string | null }

/**
 * Arguments of `ingest_tree`.
 */
export type IngestTreeArgs = { 
/**
 * The ingest session.
 */
session: number; 
/**
 * The item's name, unique in the snapshot.
 */
name: string; 
/**
 * Its free-form type.
 */
type?: string | null; 
/**
 * A snapshot (id, prefix or `latest`) whose item of the same name is this tree's
 * parent: its unchanged files are not read again. Left out, the parent is the newest
 * snapshot with a tree item of this name, as restic chooses one.
 */
parent?: string | null; 
/**
 * Read every file, reusing no parent's.
 */
noParent?: boolean; 
/**
 * Entries to leave out, as gitignore patterns (`*.o`, `/build`, `cache/`, `!keep`).
 */
exclude?: string[]; 
/**
 * The directory's path, recorded in the snapshot (absolute).
 */
path?: string | null }

/**
 * Payload of `ingest:warning`.
 */
export type IngestWarning = { 
/**
 * The item and path concerned, as the host named it.
 */
path: string; 
/**
 * What happened.
 */
message: string; 
/**
 * Whether the entry was left out of the snapshot.
 */
dropped: boolean }

/**
 * Arguments of `init`.
 */
export type InitArgs = 
/**
 * The repository's parameters.
 */
({ 
/**
 * `zstd` (default), `gzip` or `none`.
 */
compression?: CodecName | null; 
/**
 * Codec level (zstd 1..19, gzip 1..9; default 1).
 */
compressionLevel?: number | null; 
/**
 * Chunk sizes (default 64 KiB / 256 KiB / 1 MiB).
 */
chunking?: ChunkingParams | null; 
/**
 * Target pack size in bytes (default 8 MiB; 4 KiB to 1 GiB).
 */
packSize?: number | null; 
/**
 * Parity layout (default 20 data + 1 parity).
 */
parity?: ParityParams | null; 
/**
 * Argon2id cost of the first key (default 64 MiB, 3 passes); lower only for tests.
 */
kdf?: KdfParams | null }) & { 
/**
 * The passphrase of the first key; absent: a plain repository.
 */
passphrase?: string | null; 
/**
 * Who runs the engine (recorded in locks).
 */
client?: Client }

/**
 * Any JSON value: what `cat` answers.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | Partial<{ [key in string]: JsonValue }>

/**
 * Argon2id parameters, as stored in key files.
 */
export type KdfParams = { 
/**
 * Memory in KiB.
 */
memoryKiB: number; 
/**
 * Passes over memory.
 */
iterations: number; 
/**
 * Lanes.
 */
parallelism: number }

/**
 * The answer of `key_add`.
 */
export type KeyAdded = { 
/**
 * The new key file's id.
 */
id: KeyId }

/**
 * A key file: random.
 */
export type KeyId = string

/**
 * One key as `key list` shows it.
 */
export type KeyListing = { 
/**
 * The key file's id.
 */
id: KeyId; 
/**
 * When it was added.
 */
createdAt: string; 
/**
 * The host that added it.
 */
hostname: string; 
/**
 * Whether this repository was opened with it.
 */
current: boolean }

/**
 * Names a key file: its id or a unique prefix of it.
 */
export type KeyRef = { 
/**
 * The id or prefix.
 */
id: string }

/**
 * Arguments of an operation that takes none.
 */
export type NoArgs = Record<string, never>

/**
 * Arguments of `open`.
 */
export type OpenArgs = { 
/**
 * The passphrase of an encrypted repository.
 */
passphrase?: string | null; 
/**
 * Without a passphrase, open an encrypted repository for the checks that need no key.
 */
keyless?: boolean; 
/**
 * Who runs the engine (recorded in locks).
 */
client?: Client }

/**
 * Reed-Solomon parity layout: parity packs per group of data packs.
 */
export type ParityParams = { 
/**
 * Data packs per group (k).
 */
dataPacks: number; 
/**
 * Parity packs per group (m).
 */
parityPacks: number }

/**
 * Arguments of `key_add`.
 */
export type PassphraseArgs = { 
/**
 * The new passphrase.
 */
passphrase: string }

/**
 * Payload of the progress events: how far an operation has come.
 */
export type Progress = { 
/**
 * The operation (`ingest`, `verify`).
 */
operation: string; 
/**
 * Bytes read so far.
 */
bytesProcessed: number; 
/**
 * Bytes expected, when known.
 */
totalBytes?: number | null; 
/**
 * Progress in percent, when the total is known.
 */
percentage?: number | null; 
/**
 * An ingest of directory trees: the entries described so far.
 */
entries?: number | null; 
/**
 * An ingest of a directory tree: the path of the entry described last, below the
 * tree's root.
 */
path?: string | null; 
/**
 * A line for people.
 */
message: string }

/**
 * Arguments of `prune`.
 */
export type PruneOptions = { 
/**
 * Which snapshots to keep.
 */
retention: RetentionPolicy; 
/**
 * The policy decides only among the snapshots this filter passes; the others are
 * kept (`{ tags: { db: "orders" } }` prunes one database's snapshots of a shared
 * repository).
 */
filter?: SnapshotFilter; 
/**
 * Only report what would be done.
 */
dryRun?: boolean; 
/**
 * Accept the loss of snapshots whose manifest vanished without a prune (and of
 * unreadable snapshot records): record them as removed, then prune. Without it,
 * prune refuses to run while any is found (docs/FORMAT.md §9a).
 */
forgetVanished?: boolean }

/**
 * The answer of `prune` (IPruneResult, plus what a dry run lists).
 */
export type PruneResult = { 
/**
 * Snapshots forgotten.
 */
removedSnapshots: number; 
/**
 * Packs deleted because nothing kept needs them.
 */
removedPacks: number; 
/**
 * Packs rewritten because much of them is unused.
 */
rewrittenPacks: number; 
/**
 * Pack bytes freed: deleted packs, plus the unused bytes of rewritten ones.
 */
freedBytes: number; 
/**
 * Whether this was a dry run (nothing changed).
 */
dryRun: boolean; 
/**
 * Snapshots kept.
 */
keptSnapshots: number; 
/**
 * Ids of the snapshots forgotten.
 */
removedSnapshotIds: SnapshotId[]; 
/**
 * Whether the space only the forgotten snapshots used was freed: always by `prune`,
 * by `forget` only when asked to prune. When false, `removedPacks`, `rewrittenPacks`
 * and `freedBytes` are 0 and the data stays until a prune frees it.
 */
pruned: boolean }

/**
 * The answer of `reindex`.
 */
export type ReindexResult = { 
/**
 * Packs left out of the rebuilt index because their sidecar cannot be read, and why.
 */
errors: string[] }

/**
 * The answer of `repair` (IRepairResult, plus finer counters).
 */
export type RepairResult = { 
/**
 * Whether the global index was rebuilt from the `.idx` sidecars.
 */
indexRebuilt: boolean; 
/**
 * Data packs rebuilt from parity.
 */
packsRepaired: number; 
/**
 * Parity shards rebuilt.
 */
parityRepaired: number; 
/**
 * `.idx` sidecars rebuilt from their packs.
 */
sidecarsRebuilt: number; 
/**
 * Packs that had no parity and were given some.
 */
packsProtected: number; 
/**
 * Stale locks removed.
 */
locksRemoved: number; 
/**
 * Snapshots present that no snapshot record named, now recorded.
 */
snapshotsRecorded: number; 
/**
 * What could not be repaired, as sentences.
 */
errors: string[] }

/**
 * What `init`, `open` and `info` answer.
 */
export type RepoInfo = { 
/**
 * Repository id (64 hex digits).
 */
id: string; 
/**
 * Format version.
 */
version: number; 
/**
 * Whether the repository is encrypted and its key is open.
 */
encrypted: boolean; 
/**
 * Creation time.
 */
createdAt: string; 
/**
 * Compression.
 */
compression: Compression; 
/**
 * Chunk sizes.
 */
chunking: ChunkingParams; 
/**
 * Target pack size.
 */
packSize: number; 
/**
 * Parity layout.
 */
parity: ParityParams; 
/**
 * Whether the host's crypto intrinsics are in use.
 */
accelerated: boolean }

/**
 * Arguments of `restore_begin`.
 */
export type RestoreArgs = { 
/**
 * A full snapshot id, a unique prefix of one, or `latest`.
 */
snapshot: string; 
/**
 * Restore only this item; `latest` is then the newest snapshot that has it.
 */
item?: string | null; 
/**
 * Narrows `latest` to the newest snapshot that passes it; an id or prefix must name
 * a snapshot that passes it.
 */
filter?: SnapshotFilter }

/**
 * The answer of `restore_begin`.
 */
export type RestoreBegun = { 
/**
 * The restore session, for `read`.
 */
session: number; 
/**
 * The snapshot being restored (the full id of what was asked for).
 */
snapshot: SnapshotId; 
/**
 * Bytes of content the restore will produce: for a tree item, which comes as a tar
 * archive, the bytes of its files (the archive adds headers).
 */
size: number; 
/**
 * The item is a directory tree and comes as a POSIX (pax) tar archive.
 */
tar?: boolean }

/**
 * One snapshot whose tags changed.
 */
export type Retagged = { 
/**
 * The snapshot's id before (now removed).
 */
from: SnapshotId; 
/**
 * Its id with the new tags.
 */
to: SnapshotId }

/**
 * Which snapshots to keep.
 */
export type RetentionPolicy = { 
/**
 * Keep the n newest snapshots.
 */
keepLast?: number | null; 
/**
 * Keep the newest snapshot of each of the n most recent hours with snapshots.
 */
keepHourly?: number | null; 
/**
 * The same per day.
 */
keepDays?: number | null; 
/**
 * The same per ISO week.
 */
keepWeeks?: number | null; 
/**
 * The same per month.
 */
keepMonths?: number | null; 
/**
 * The same per year.
 */
keepYearly?: number | null; 
/**
 * Keep every snapshot that has one of these tags (`key` or `key=value`).
 */
keepTags?: string[] }

/**
 * An open ingest or restore session.
 */
export type SessionHandle = { 
/**
 * The session's handle, for `write`, `read` and the session operations.
 */
session: number }

/**
 * A snapshot as the API shows it (ISnapshot): its id and manifest, without the
 * chunk-list ids.
 */
export type Snapshot = 
/**
 * Everything else.
 */
({ 
/**
 * [`MANIFEST_VERSION`].
 */
version: number; 
/**
 * Creation time, RFC 3339 UTC with milliseconds.
 */
createdAt: string; 
/**
 * User tags.
 */
tags: Partial<{ [key in string]: string }>; 
/**
 * Bytes ingested.
 */
originalSize: number; 
/**
 * Stored bytes this snapshot added (new blobs after compression and encryption).
 */
storedSize: number; 
/**
 * Data chunks referenced.
 */
chunkCount: number; 
/**
 * Data chunks this snapshot stored.
 */
newChunks: number; 
/**
 * Data chunks already present.
 */
reusedChunks: number; 
/**
 * The items, in ingest order.
 */
items: SnapshotItem[]; 
/**
 * Problems met while reading the source (files that vanished or changed while read);
 * left out when there were none.
 */
warnings?: number; 
/**
 * The host the snapshot was taken on, as it names itself; absent when unknown.
 */
host?: string | null; 
/**
 * The user who took it; absent when unknown.
 */
user?: string | null; 
/**
 * For a snapshot made from another by `tag` or `copy`: the id of the snapshot it
 * descends from that neither made (restic's `original`), so that `copy` knows what
 * it copied already.
 */
original?: SnapshotId | null }) & { 
/**
 * The snapshot's id.
 */
id: SnapshotId }

/**
 * Which snapshots to list, or which `latest` names: every criterion given must hold (all
 * tags, the host, an item of that name, an item read from that path); `after` is
 * inclusive, `before` exclusive. The matching is [`crate::snapshots`]'s.
 */
export type SnapshotFilter = { 
/**
 * Tags that must all be present with these values.
 */
tags?: Partial<{ [key in string]: string }>; 
/**
 * Only snapshots created at or after this time (RFC 3339 or YYYY-MM-DD).
 */
after?: string | null; 
/**
 * Only snapshots created before this time.
 */
before?: string | null; 
/**
 * Only snapshots taken on this host.
 */
host?: string | null; 
/**
 * Only snapshots with an item of this name.
 */
item?: string | null; 
/**
 * Only snapshots with an item read from this path (exactly as recorded).
 */
path?: string | null }

/**
 * A snapshot: the SHA-256 of its stored manifest.
 */
export type SnapshotId = string

/**
 * One item as the API shows it (ISnapshotItem).
 */
export type SnapshotItem = { 
/**
 * The item's name, unique within the snapshot.
 */
name: string; 
/**
 * Free-form type (for example `postgres-dump`).
 */
type?: string | null; 
/**
 * Bytes in the item.
 */
size: number; 
/**
 * Chunks in the item.
 */
chunkCount: number; 
/**
 * Entries (files, directories, links, ...) of a tree item; absent for a stream.
 */
entries?: number | null; 
/**
 * Where the item was read from, as the host named it (an absolute path), or `-` for
 * standard input or a stream without a path; absent in snapshots written before
 * Cairn recorded it, and when the host did not say.
 */
path?: string | null }

/**
 * Names a snapshot: a full id, a unique prefix of one, or `latest`.
 */
export type SnapshotRef = { 
/**
 * The id, prefix or `latest`.
 */
id: string; 
/**
 * Narrows `latest` to the newest snapshot that passes it; an id or prefix must name
 * a snapshot that passes it.
 */
filter?: SnapshotFilter }

/**
 * Arguments of `stats`.
 */
export type StatsOptions = { 
/**
 * The snapshots to count: full ids, unique prefixes or `latest`; left out, every
 * snapshot `filter` passes (the whole repository when it passes all).
 */
snapshots?: string[]; 
/**
 * Which snapshots count (or which `snapshots` may name).
 */
filter?: SnapshotFilter }

/**
 * The answer of `stats`: what the counted snapshots hold and what storing them costs.
 */
export type StatsResult = { 
/**
 * Snapshots counted.
 */
snapshots: number; 
/**
 * Bytes a restore of all of them writes: the sum of their `originalSize` (restic's
 * `restore-size`).
 */
logicalSize: number; 
/**
 * References to data chunks, every repeat counted: the sum of their `chunkCount`.
 */
chunkReferences: number; 
/**
 * Distinct data chunks they reference.
 */
chunks: number; 
/**
 * Bytes of those chunks before compression: what deduplication leaves.
 */
uniqueSize: number; 
/**
 * Distinct blobs they need: data chunks, chunk lists and tree pieces.
 */
blobs: number; 
/**
 * Bytes those blobs take in packs, compressed and encrypted (restic's `raw-data`).
 */
storedSize: number; 
/**
 * `logicalSize / uniqueSize`: how many times deduplication shrinks the data (1 when
 * nothing is stored).
 */
dedupRatio: number; 
/**
 * `uniqueSize` over the stored bytes of the data chunks: how many times compression
 * shrinks what deduplication leaves (1 when nothing is stored).
 */
compressionRatio: number; 
/**
 * Packs holding at least one of those blobs.
 */
packs: number; 
/**
 * Bytes of those packs, blobs no counted snapshot needs included (what prune has
 * not freed yet, or other snapshots use).
 */
packSize: number; 
/**
 * Parity groups with at least one of those packs.
 */
parityGroups: number; 
/**
 * Parity shards of those groups.
 */
parityShards: number; 
/**
 * Bytes of those shards.
 */
paritySize: number; 
/**
 * `paritySize / packSize`: the storage parity adds for each byte of packs (0
 * without parity).
 */
parityOverhead: number }

/**
 * Arguments of `tag`: which snapshots, and how their tags change (`set` first, then
 * `remove`, then `add`).
 */
export type TagOptions = { 
/**
 * The snapshots: full ids, unique prefixes, or `latest` (the newest that `filter`
 * passes).
 */
snapshots: string[]; 
/**
 * Which snapshots `snapshots` may name.
 */
filter?: SnapshotFilter; 
/**
 * Replace every tag with these.
 */
set?: Partial<{ [key in string]: string }> | null; 
/**
 * Tags to remove: `key` (whatever its value) or `key=value` (only with that value).
 */
remove?: string[]; 
/**
 * Tags to add, or to give a new value.
 */
add?: Partial<{ [key in string]: string }> }

/**
 * The answer of `tag`.
 */
export type TagResult = { 
/**
 * The snapshots whose tags changed, with their new ids.
 */
changed: Retagged[]; 
/**
 * The snapshots that already had these tags (nothing written for them).
 */
unchanged: SnapshotId[] }

/**
 * One changed entry.
 */
export type TreeChange = { 
/**
 * The entry's path below the tree's root, `/`-separated (`""` for the root).
 */
path: string; 
/**
 * The path's bytes as hex, present only when they are not UTF-8.
 */
pathHex?: string | null; 
/**
 * How it changed.
 */
change: Change; 
/**
 * What it is (in the newer tree, unless removed).
 */
kind: EntryKind; 
/**
 * Its size (in the newer tree, unless removed).
 */
size: number }

/**
 * The answer of `tree_entry`.
 */
export type TreeEntryAnswer = { 
/**
 * True when the host must now `write` the file's bytes; false when the file is
 * unchanged since the parent snapshot, or the entry is not a file.
 */
content: boolean; 
/**
 * True when an exclude pattern leaves the entry out: nothing of it is stored, and the
 * host does not enter it (no `tree_leave` for an excluded directory).
 */
excluded?: boolean }

/**
 * Arguments of `tree_entry`.
 */
export type TreeEntryArgs = { 
/**
 * The ingest session.
 */
session: number; 
/**
 * The entry, as the host's file system describes it.
 */
entry: Entry }

/**
 * Arguments of `tree_problem`.
 */
export type TreeProblemArgs = { 
/**
 * The ingest session.
 */
session: number; 
/**
 * The entry's path, as the host names it.
 */
path: string; 
/**
 * What went wrong.
 */
message: string; 
/**
 * Leave the file given last out of the snapshot (it could not be read).
 */
drop?: boolean }

/**
 * One entry handed to the host.
 */
export type TreeStep = { 
/**
 * 0 for the directory the walk started at, 1 for its entries, and so on.
 */
depth: number; 
/**
 * The path below that directory, `/`-separated (`""` for it); text, see `pathHex`.
 */
path: string; 
/**
 * The path's bytes as hex, present only when they are not UTF-8.
 */
pathHex?: string | null; 
/**
 * The entry.
 */
entry: Entry }

/**
 * Arguments of `unlock`.
 */
export type UnlockArgs = { 
/**
 * Remove every lock, also those of operations that may still be running.
 */
force?: boolean }

/**
 * The answer of `unlock`.
 */
export type UnlockResult = { 
/**
 * Locks removed.
 */
locksRemoved: number }

/**
 * One problem verification found (the payload of `verify:error`, and an entry of the
 * result's `errors`): what it concerns, and what is wrong.
 */
export type VerifyError = { 
/**
 * Storage key of the pack concerned.
 */
pack?: string | null; 
/**
 * Id of the chunk concerned.
 */
chunk?: BlobId | null; 
/**
 * Id of the snapshot concerned.
 */
snapshot?: SnapshotId | null; 
/**
 * Name of the snapshot item concerned.
 */
item?: string | null; 
/**
 * Storage key of the parity group or shard concerned.
 */
group?: string | null; 
/**
 * What is wrong, as a sentence.
 */
error: string }

/**
 * How deep verification goes.
 */
export type VerifyLevel = 
/**
 * Index, packs, groups and snapshots agree.
 */
"quick" | 
/**
 * Also every pack's bytes and every group's parity.
 */
"standard" | 
/**
 * Also every chunk decrypted, decompressed and re-hashed.
 */
"full"

/**
 * Options of `verify`.
 */
export type VerifyOptions = { 
/**
 * Depth (default standard).
 */
level?: VerifyLevel; 
/**
 * Read only part of the packs: `n/m` (part n of m, by pack id) or `P%` (a random
 * share); all when absent.
 */
subset?: string | null }

/**
 * The answer of `verify` (IVerifyResult).
 */
export type VerifyResult = { 
/**
 * True when no error was found (warnings do not count).
 */
ok: boolean; 
/**
 * The level that ran.
 */
level: VerifyLevel; 
/**
 * False when the repository was verified without its key (index and snapshots unchecked).
 */
keyed: boolean; 
/**
 * Every problem found.
 */
errors: VerifyError[]; 
/**
 * Findings that are not damage: packs that no parity group protects (`repair` gives
 * them parity).
 */
warnings: VerifyError[]; 
/**
 * Counters.
 */
stats: VerifyStats }

/**
 * Counters of a verification.
 */
export type VerifyStats = { 
/**
 * Packs checked (existence and size at quick; every byte from standard on).
 */
packsChecked: number; 
/**
 * Chunk references of the snapshots' items resolved to a pack through the index, at
 * every level (0 without the key): the same count whatever the level.
 */
chunksChecked: number; 
/**
 * Stored blobs decrypted, decompressed and re-hashed against their ids: at `full`
 * only (0 below it), each blob of each pack read once.
 */
blobsDecoded: number; 
/**
 * Snapshot manifests read.
 */
snapshotsChecked: number; 
/**
 * Parity groups checked.
 */
groupsChecked: number; 
/**
 * Bytes read from packs and parity shards.
 */
bytesRead: number }

/**
 * Arguments of `walk_begin`.
 */
export type WalkArgs = { 
/**
 * A full snapshot id, a unique prefix of one, or `latest`.
 */
snapshot: string; 
/**
 * The tree item (`latest` is then the newest snapshot that has it); left out, the
 * snapshot's only tree item.
 */
item?: string | null; 
/**
 * Narrows `latest` to the newest snapshot that passes it; an id or prefix must name
 * a snapshot that passes it.
 */
filter?: SnapshotFilter; 
/**
 * Where to start, `/`-separated below the item's root (the root when empty).
 */
path?: string; 
/**
 * The same as hex bytes, for a path that is not UTF-8 (then `path` is ignored).
 */
pathHex?: string | null; 
/**
 * Walk everything below the start; false: only the start and its direct entries.
 */
recursive?: boolean; 
/**
 * Take only the entries these patterns match (gitignore's syntax, matched against
 * paths below the item's root), everything below them, and the directories on the way.
 */
include?: string[]; 
/**
 * Leave out the entries these patterns match, and all below an excluded directory.
 */
exclude?: string[]; 
/**
 * Take only the entries an `include` pattern matches, not their contents nor the
 * directories on the way (what `find` lists); without `include`, no effect.
 */
matchesOnly?: boolean }

/**
 * The answer of `walk_begin`.
 */
export type WalkBegun = { 
/**
 * The session `walk_next` and `read` take.
 */
session: number; 
/**
 * The snapshot's full id.
 */
snapshot: SnapshotId; 
/**
 * The tree item walked.
 */
item: string }

/**
 * One extended attribute (POSIX ACLs are the `system.posix_acl_*` ones).
 */
export type Xattr = { 
/**
 * Its name, such as `user.comment`.
 */
name: string; 
/**
 * Its value, as lowercase hex.
 */
valueHex: string }

/**
 * The engine's stable error codes, the same names in every host.
 */
export const ERROR_CODES = ["InvalidArgument", "RepositoryNotFound", "RepositoryExists", "UnsupportedVersion", "PassphraseRequired", "WrongPassphrase", "SnapshotNotFound", "AmbiguousSnapshot", "ItemNotFound", "PathNotFound", "RepositoryLocked", "CorruptPack", "CorruptIndex", "CorruptSnapshot", "CorruptParity", "CorruptConfig", "CorruptKey", "ChunkNotFound", "KeyNotFound", "LastKey", "InvalidStorageKey", "StorageError", "IntrinsicMismatch", "SessionNotFound", "ReadOnly", "EngineUnavailable", "Internal"] as const;

/**
 * One of {@link ERROR_CODES}: the `code` of a `CairnError`.
 */
export type CairnErrorCode = (typeof ERROR_CODES)[number];

/**
 * Codes any operation may fail with.
 */
export const ANY_OP_ERRORS = ["InvalidArgument", "InvalidStorageKey", "StorageError", "Internal"] as const;

/**
 * What a storage method of a JS host object throws in `error.code` (core-wasm/bindgen).
 */
export const STORAGE_FAILURE_CODES = ["NotFound", "AlreadyExists", "InvalidKey", "Io", "ReadOnly"] as const;

/**
 * One of {@link STORAGE_FAILURE_CODES}.
 */
export type StorageFailureCode = (typeof STORAGE_FAILURE_CODES)[number];

/**
 * The name of the item of a single-stream ingest when none is given.
 */
export const DEFAULT_ITEM_NAME = "data";

/**
 * One operation: the types of its arguments and of its answer.
 */
export interface Operation<A, R> {
  /**
   * Its arguments (a JSON object on the wire).
   */
  args: A;
  /**
   * Its answer.
   */
  answer: R;
}

/**
 * Every operation of the engine, by name.
 */
export interface Operations {
  /**
   * Creates a repository in empty storage and opens it (encrypted when a passphrase is given).
   *
   * May fail with: RepositoryExists, IntrinsicMismatch, CorruptConfig (and the codes of any operation).
   */
  init: Operation<InitArgs, RepoInfo>;
  /**
   * Opens an existing repository; `keyless` opens an encrypted one without its
   * passphrase, for the pack and parity checks of `verify` and for `repair`.
   *
   * May fail with: RepositoryNotFound, UnsupportedVersion, CorruptConfig, CorruptKey, PassphraseRequired, WrongPassphrase, IntrinsicMismatch (and the codes of any operation).
   */
  open: Operation<OpenArgs, RepoInfo>;
  /**
   * The open repository's parameters.
   */
  info: Operation<NoArgs, RepoInfo>;
  /**
   * Starts an ingest under a shared lock; answers the session that `write` feeds.
   *
   * May fail with: RepositoryLocked, CorruptIndex, UnsupportedVersion (and the codes of any operation).
   */
  ingest_begin: Operation<IngestBeginArgs, SessionHandle>;
  /**
   * Ends the session's current item and starts a new one; later writes go to it.
   *
   * May fail with: SessionNotFound, CorruptParity, CorruptIndex, UnsupportedVersion (and the codes of any operation).
   *
   * Emits: ingest:progress.
   */
  ingest_item: Operation<IngestItemArgs, Done>;
  /**
   * Stores what remains and writes the snapshot; answers it.
   *
   * May fail with: SessionNotFound, CorruptParity, CorruptIndex, UnsupportedVersion (and the codes of any operation).
   *
   * Emits: ingest:progress, ingest:complete.
   */
  ingest_finish: Operation<SessionHandle, Snapshot>;
  /**
   * Ends the session's current item and starts a tree item: its entries follow with
   * `tree_entry` and `tree_leave`, depth-first, each directory's entries in increasing
   * byte order of their names, the root directory first.
   *
   * May fail with: SessionNotFound, SnapshotNotFound, AmbiguousSnapshot, CorruptSnapshot, CorruptParity, CorruptIndex, UnsupportedVersion (and the codes of any operation).
   *
   * Emits: ingest:progress.
   */
  ingest_tree: Operation<IngestTreeArgs, Done>;
  /**
   * The next entry of the current tree item; for a new or changed regular file, the
   * answer asks for its bytes, which `write` then feeds.
   *
   * May fail with: SessionNotFound, CorruptParity, CorruptIndex (and the codes of any operation).
   *
   * Emits: ingest:progress.
   */
  tree_entry: Operation<TreeEntryArgs, TreeEntryAnswer>;
  /**
   * Closes the directory of the current tree item entered last.
   *
   * May fail with: SessionNotFound, CorruptParity, CorruptIndex (and the codes of any operation).
   *
   * Emits: ingest:progress.
   */
  tree_leave: Operation<SessionHandle, Done>;
  /**
   * Reports a problem with the entry given last (vanished, changed while read,
   * unreadable), counted in the snapshot's `warnings`; `drop` leaves that file out.
   *
   * May fail with: SessionNotFound, CorruptParity, CorruptIndex (and the codes of any operation).
   *
   * Emits: ingest:warning.
   */
  tree_problem: Operation<TreeProblemArgs, Done>;
  /**
   * Abandons an ingest or an import; packs already written stay until prune.
   *
   * May fail with: SessionNotFound (and the codes of any operation).
   */
  ingest_abort: Operation<SessionHandle, Done>;
  /**
   * Starts restoring a snapshot (full id, unique prefix or `latest`), or one item of it;
   * answers the session that `read` drains.
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion, CorruptIndex, RepositoryLocked (and the codes of any operation).
   */
  restore_begin: Operation<RestoreArgs, RestoreBegun>;
  /**
   * Starts a walk of a snapshot's tree item (from a path, recursive or one level);
   * answers the session that `walk_next` steps and `read` drains file by file.
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, PathNotFound, CorruptSnapshot, UnsupportedVersion, CorruptIndex, RepositoryLocked (and the codes of any operation).
   */
  walk_begin: Operation<WalkArgs, WalkBegun>;
  /**
   * The walk's next entry, `null` at its end; the bytes of a file entry come from
   * `read` until an empty block (unread bytes are skipped).
   *
   * May fail with: SessionNotFound, CorruptSnapshot, CorruptIndex (and the codes of any operation).
   */
  walk_next: Operation<SessionHandle, TreeStep | null>;
  /**
   * The entries of snapshots' tree items that patterns match (by name at any depth, or
   * by path from the item's root), per snapshot and item, oldest snapshot first.
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, CorruptSnapshot, UnsupportedVersion, CorruptIndex, RepositoryLocked (and the codes of any operation).
   */
  find: Operation<FindArgs, Found[]>;
  /**
   * What changed in a tree item from one snapshot to another: entries added, removed,
   * modified or changed in metadata only, sorted by path.
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion, CorruptIndex (and the codes of any operation).
   */
  tree_diff: Operation<DiffArgs, TreeChange[]>;
  /**
   * The id and `original` of every snapshot: what a copy into this repository skips
   * (`skip` of `export_begin` on the source).
   *
   * May fail with: CorruptSnapshot, UnsupportedVersion (and the codes of any operation).
   */
  known_originals: Operation<NoArgs, SnapshotId[]>;
  /**
   * Starts exporting snapshots as a snapshot stream for `import_begin` on another
   * repository (copy); answers the session that `read` drains and `restore_end` ends.
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion, CorruptIndex, RepositoryLocked (and the codes of any operation).
   */
  export_begin: Operation<ExportArgs, ExportBegun>;
  /**
   * Starts importing a snapshot stream from `export_begin` (copy): answers the session
   * `write` feeds; each snapshot is written, under a shared lock, when its last frame
   * arrives.
   *
   * May fail with: RepositoryLocked, CorruptParity, CorruptIndex, UnsupportedVersion (and the codes of any operation).
   *
   * Emits: ingest:progress, ingest:complete.
   */
  import_begin: Operation<NoArgs, SessionHandle>;
  /**
   * Ends an import whose stream arrived whole; answers the snapshots it wrote.
   *
   * May fail with: SessionNotFound (and the codes of any operation).
   */
  import_finish: Operation<SessionHandle, Copied[]>;
  /**
   * Ends a restore, a walk or an export early (or after its end) and releases its lock.
   *
   * May fail with: SessionNotFound (and the codes of any operation).
   */
  restore_end: Operation<SessionHandle, Done>;
  /**
   * The snapshots that pass the filter, oldest first.
   *
   * May fail with: CorruptSnapshot, UnsupportedVersion (and the codes of any operation).
   */
  list_snapshots: Operation<SnapshotFilter, Snapshot[]>;
  /**
   * One snapshot, by full id, unique id prefix or `latest`, among those a filter passes.
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion (and the codes of any operation).
   */
  get_snapshot: Operation<SnapshotRef, Snapshot>;
  /**
   * Adds a passphrase: a new key file wrapping the master key.
   *
   * May fail with: CorruptKey (and the codes of any operation).
   */
  key_add: Operation<PassphraseArgs, KeyAdded>;
  /**
   * Every key file, oldest first.
   *
   * May fail with: CorruptKey (and the codes of any operation).
   */
  key_list: Operation<NoArgs, KeyListing[]>;
  /**
   * Removes a key file by id or unique prefix; never the last one, nor the one in use.
   *
   * May fail with: KeyNotFound, LastKey, CorruptKey (and the codes of any operation).
   */
  key_remove: Operation<KeyRef, Done>;
  /**
   * Checks the repository at quick, standard or full level; problems are in the answer.
   *
   * May fail with: RepositoryLocked, PassphraseRequired, UnsupportedVersion (and the codes of any operation).
   *
   * Emits: verify:progress, verify:error.
   */
  verify: Operation<VerifyOptions, VerifyResult>;
  /**
   * Forgets the snapshots a retention policy does not keep and frees the space only they used.
   *
   * May fail with: RepositoryLocked, CorruptIndex, CorruptSnapshot, CorruptPack, CorruptParity, ChunkNotFound, UnsupportedVersion (and the codes of any operation).
   */
  prune: Operation<PruneOptions, PruneResult>;
  /**
   * Forgets snapshots by id (or those a retention policy does not keep), leaving their
   * data for `prune` to free; with `prune`, frees it too.
   *
   * May fail with: RepositoryLocked, SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptIndex, CorruptSnapshot, CorruptPack, CorruptParity, ChunkNotFound, UnsupportedVersion (and the codes of any operation).
   */
  forget: Operation<ForgetOptions, PruneResult>;
  /**
   * Changes the tags of snapshots: each changed one gets a new manifest (a new id) and
   * the old one is removed.
   *
   * May fail with: RepositoryLocked, SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion (and the codes of any operation).
   */
  tag: Operation<TagOptions, TagResult>;
  /**
   * What snapshots hold and what storing them costs: sizes, deduplication and
   * compression, chunks, packs and parity.
   *
   * May fail with: RepositoryLocked, SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, CorruptIndex, ChunkNotFound, UnsupportedVersion (and the codes of any operation).
   */
  stats: Operation<StatsOptions, StatsResult>;
  /**
   * The repository's configuration, a snapshot's manifest, the index or a pack's entry
   * table, as JSON (opened where a key is needed).
   *
   * May fail with: SnapshotNotFound, AmbiguousSnapshot, CorruptSnapshot, CorruptIndex, UnsupportedVersion (and the codes of any operation).
   */
  cat: Operation<CatArgs, JsonValue>;
  /**
   * Rebuilds damaged packs and parity from parity, sidecars from packs, the index from
   * sidecars; gives parity to unprotected packs; removes stale locks.
   *
   * May fail with: RepositoryLocked, UnsupportedVersion (and the codes of any operation).
   */
  repair: Operation<NoArgs, RepairResult>;
  /**
   * Rebuilds the global index from the packs' `.idx` sidecars.
   *
   * May fail with: RepositoryLocked, UnsupportedVersion (and the codes of any operation).
   */
  reindex: Operation<NoArgs, ReindexResult>;
  /**
   * Removes stale locks, or with `force` every lock.
   */
  unlock: Operation<UnlockArgs, UnlockResult>;
  /**
   * Aborts open sessions, releases locks and closes the repository.
   */
  close: Operation<NoArgs, Done>;
}

/**
 * The name of an operation.
 */
export type OperationName = keyof Operations;

/**
 * Every event and its payload.
 */
export interface CairnEvents {
  /**
   * Progress of an ingest: about every 1 % of a known total or 8 MiB, at least once a
   * second while bytes arrive ([`Pacer`]), and at the end.
   */
  "ingest:progress": Progress;
  /**
   * An ingest stored its snapshot.
   */
  "ingest:complete": IngestComplete;
  /**
   * A source entry of a tree could not be stored as it was (it vanished, changed while
   * read, or could not be read); the snapshot's `warnings` counts these.
   */
  "ingest:warning": IngestWarning;
  /**
   * Progress of a verification, after every pack read.
   */
  "verify:progress": Progress;
  /**
   * Verification found a problem (each one also ends up in the result's `errors`).
   */
  "verify:error": VerifyError;
}
