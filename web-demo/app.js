// Cairn in a page: open a repository folder (picked or dropped) or a served repository
// (a URL typed in, or `?repo=URL` in the page's address), list its snapshots, verify it,
// restore an item as a download. Everything goes through the JS package's
// browser entry; the engine runs in a worker, so the page stays responsive.
import { CairnError, Repository, folderFiles } from "../js/dist/browser.js";

const $ = (id) => document.getElementById(id);
const state = { source: undefined, files: [], options: {}, repo: undefined, snapshots: [], newestFirst: true };

function status(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function message(e) {
  if (e instanceof CairnError) {
    if (e.code === "WrongPassphrase") return "Wrong passphrase: no key of this repository opens with it.";
    if (e.code === "RepositoryNotFound") return `${where()} holds no Cairn repository (it has no config.json).`;
    return e.message;
  }
  return `Unexpected error: ${e?.message ?? e}`;
}

/** How the open source is named in messages. */
const where = () => (typeof state.source === "string" ? `The URL ${state.source}` : "This folder");

/** Whether the repository at `url` is encrypted, from its config.json; a message when it cannot be read. */
async function encryptedAt(url) {
  let res;
  try {
    res = await fetch(new URL("config.json", url), { cache: "no-store" });
  } catch {
    throw new Error(`Cannot reach ${url}: the server is down, or it does not let this page read it (another origin must send Access-Control-Allow-Origin).`);
  }
  if (res.status === 404) throw new Error(`The URL ${url} holds no Cairn repository (it has no config.json).`);
  if (!res.ok) throw new Error(`${url}config.json answered ${res.status} ${res.statusText}: check the URL and that the server lets anyone read it.`);
  try {
    return JSON.parse(await res.text()).encryption != null;
  } catch {
    throw new Error(`config.json at ${url} cannot be read: it is not a Cairn repository, or it is damaged.`);
  }
}

async function close() {
  const repo = state.repo;
  state.repo = undefined;
  await repo?.close().catch(() => {});
}

/** A new folder or URL: reads its config.json to know whether to ask for the passphrase. */
async function choose(source) {
  await close();
  $("snapshots").hidden = $("verify").hidden = $("unlock").hidden = true;
  $("verify-result").textContent = "";
  state.source = source;
  status("Opening…");
  let encrypted;
  if (typeof source === "string") {
    state.files = [];
    try {
      encrypted = await encryptedAt(source);
    } catch (e) {
      return status(e.message, "state-error");
    }
  } else {
    // A folder is not in the page's address: a link to it would open the last URL.
    if (new URLSearchParams(location.search).has("repo")) history.replaceState(null, "", location.pathname);
    state.files = (await folderFiles(source)).files;
    const config = state.files.find(({ key }) => key === "config.json");
    if (!config) return status("This folder holds no Cairn repository (it has no config.json).", "state-error");
    try {
      encrypted = JSON.parse(await config.file.text()).encryption != null;
    } catch {
      return status("config.json of this folder cannot be read: it is not a Cairn repository, or it is damaged.", "state-error");
    }
  }
  if (encrypted) {
    $("unlock").hidden = false;
    status("Encrypted: give the passphrase, or check the packs without it.");
    $("passphrase").focus();
  } else {
    await open({});
  }
}

async function open(options) {
  await close();
  status("Opening…");
  try {
    state.options = options;
    state.repo = await Repository.open(state.source, options);
    $("unlock").hidden = true;
    $("verify").hidden = false;
    if (options.keyless) {
      $("level").value = "standard";
      $("level").disabled = true;
      status("Open without the passphrase: packs, sidecars and parity can be checked (standard level); snapshots stay sealed.");
      return;
    }
    $("level").disabled = false;
    state.snapshots = await state.repo.listSnapshots();
    render();
    $("snapshots").hidden = false;
    status(`Open: ${state.snapshots.length} snapshots.`, "ok");
  } catch (e) {
    status(message(e), "state-error");
    if (e instanceof CairnError && e.code === "WrongPassphrase") $("passphrase").select();
  }
}

function render() {
  const filter = $("tag-filter").value.trim();
  const [fk, fv] = filter.split("=");
  const shown = state.snapshots
    .filter((s) => !filter || (fv === undefined ? fk in s.tags : s.tags[fk] === fv))
    .sort((a, b) => (state.newestFirst ? -1 : 1) * a.createdAt.localeCompare(b.createdAt));
  const original = state.snapshots.reduce((n, s) => n + s.originalSize, 0);
  const stored = state.snapshots.reduce((n, s) => n + s.storedSize, 0);
  $("summary").textContent = `${state.snapshots.length} snapshots, ${bytes(original)} in all, ${bytes(stored)} stored: ` +
    `dedup and compression ratio ${(original / Math.max(stored, 1)).toFixed(1)}x.`;
  const rows = $("snap-rows");
  rows.replaceChildren();
  for (const s of shown) {
    const tr = rows.insertRow();
    tr.insertCell().textContent = new Date(s.createdAt).toLocaleString();
    tr.insertCell().textContent = Object.entries(s.tags).map(([k, v]) => `${k}=${v}`).join(", ") || "—";
    const items = tr.insertCell();
    for (const item of s.items) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `⬇ ${item.name} (${bytes(item.size)})`;
      b.setAttribute("aria-label", `Restore ${item.name} of the snapshot of ${s.createdAt}`);
      b.onclick = () => restore(s, item);
      items.append(b);
    }
    for (const n of [bytes(s.originalSize), bytes(s.storedSize), `${s.newChunks} / ${s.reusedChunks}`]) {
      const td = tr.insertCell();
      td.className = "num";
      td.textContent = n;
    }
  }
}

/** Restores an item as a download, streamed to disk where the browser lets a page do that. */
async function restore(snapshot, item) {
  status(`Restoring ${item.name}…`);
  try {
    const stream = await state.repo.restore(snapshot.id, { item: item.name });
    if (window.showSaveFilePicker) {
      const handle = await window.showSaveFilePicker({ suggestedName: item.name });
      await stream.pipeTo(await handle.createWritable());
    } else {
      const blob = await new Response(stream).blob();
      const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: item.name });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    }
    status(`Restored ${item.name} (${bytes(item.size)}).`, "ok");
  } catch (e) {
    status(e?.name === "AbortError" ? "Restore cancelled." : message(e), e?.name === "AbortError" ? "" : "state-error");
  }
}

async function verify() {
  const level = $("level").value;
  const packBytes = state.files.filter(({ key }) => key.startsWith("packs/")).reduce((n, { file }) => n + file.size, 0);
  const bar = $("verify-bar");
  const started = performance.now();
  bar.hidden = false;
  bar.value = 0;
  $("run-verify").disabled = true;
  $("cancel-verify").hidden = false;
  $("verify-result").textContent = "";
  const progress = state.repo.on("verify:progress", (p) => {
    const s = (performance.now() - started) / 1000;
    const rate = p.bytesProcessed / Math.max(s, 0.001);
    // A served repository's pack sizes are not known beforehand: the engine's total, if any.
    const total = p.totalBytes ?? packBytes;
    const fraction = level === "quick" || !total ? 0 : Math.min(p.bytesProcessed / total, 1);
    bar.value = fraction * 100;
    const left = fraction > 0 ? ` about ${Math.ceil((s / fraction) * (1 - fraction))} s left,` : "";
    const of = total ? ` of ${bytes(total)}` : "";
    $("verify-progress").textContent = `${p.message}: ${bytes(p.bytesProcessed)}${of},${left} ${bytes(rate)}/s`;
  });
  status(`Verifying (${level})…`);
  try {
    const v = await state.repo.verify({ level });
    bar.value = 100;
    const out = $("verify-result");
    const head = document.createElement("p");
    head.className = v.ok ? "ok" : "bad";
    head.textContent = v.ok
      ? `Healthy: ${v.stats.packsChecked} packs, ${bytes(v.stats.bytesRead)} read, no errors${v.warnings.length ? ` (${v.warnings.length} warnings)` : ""}.`
      : `Damaged: ${v.errors.length} errors.`;
    out.append(head);
    const list = document.createElement("ul");
    list.className = "errors";
    for (const e of [...v.errors, ...v.warnings]) {
      const li = list.appendChild(document.createElement("li"));
      const where = [e.pack && `pack ${e.pack}`, e.chunk && `chunk ${e.chunk}`, e.snapshot && `snapshot ${e.snapshot}`, e.item && `item ${e.item}`];
      li.textContent = `${where.filter(Boolean).join(", ")}: ${e.error}`;
    }
    out.append(list);
    status(v.ok ? "Verified: healthy." : "Verified: damaged.", v.ok ? "ok" : "state-error");
  } catch (e) {
    if (state.repo) status(message(e), "state-error");
  } finally {
    progress.unsubscribe();
    $("run-verify").disabled = false;
    $("cancel-verify").hidden = true;
  }
}

/** Cancelling stops the engine's worker; the repository is then opened again. */
async function cancel() {
  await close();
  status("Verification cancelled.");
  $("verify-progress").textContent = "";
  $("verify-bar").hidden = true;
  await open(state.options);
}

$("pick").onchange = (e) => e.target.files.length && choose(e.target.files);
if (window.showDirectoryPicker) {
  $("pick-handle").hidden = false;
  $("pick-handle").onclick = async () => choose(await window.showDirectoryPicker());
}
const drop = $("drop");
drop.ondragover = (e) => (e.preventDefault(), drop.classList.add("over"));
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = async (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const item = [...e.dataTransfer.items].find((i) => i.kind === "file");
  const handle = await item?.getAsFileSystemHandle?.();
  if (handle?.kind === "directory") choose(handle);
  else status("Drop a folder (this browser could not open the dropped item as one): use “Pick a folder”.", "state-error");
};
/** Opens the repository at a URL, and puts it in the page's address so that the link opens it again. */
function chooseUrl(given) {
  let url;
  try {
    url = new URL(given, location.href).href;
  } catch {
    return status(`${given} is not a URL.`, "state-error");
  }
  if (!url.endsWith("/")) url += "/";
  $("repo-url").value = url;
  const address = new URL(location.href);
  address.searchParams.set("repo", url);
  history.replaceState(null, "", address);
  choose(url);
}
$("open-url").onsubmit = (e) => (e.preventDefault(), chooseUrl($("repo-url").value.trim()));
const linked = new URLSearchParams(location.search).get("repo");
if (linked) chooseUrl(linked);
$("unlock").onsubmit = (e) => (e.preventDefault(), open({ passphrase: $("passphrase").value }));
$("keyless").onclick = () => open({ keyless: true });
$("tag-filter").oninput = render;
$("sort-time").onclick = () => {
  state.newestFirst = !state.newestFirst;
  $("sort-time").textContent = `Time ${state.newestFirst ? "↓" : "↑"}`;
  render();
};
$("run-verify").onclick = verify;
$("cancel-verify").onclick = cancel;
