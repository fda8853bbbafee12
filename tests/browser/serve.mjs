// Starting a static server on a free port, for the browser tests (harness.mjs) and the JS
// package's HTTP tests (tests/js/http.mjs): no dependency beyond Node's own modules.
import { spawn } from "node:child_process";
import * as path from "node:path";

/** The repository's root directory. */
export const root = path.resolve(import.meta.dirname, "../..");

/**
 * Starts `python3 web-demo/serve.py` over `dir` (cross-origin isolated, honours Range), or
 * with `plain` Python's own `http.server` (ignores Range, no isolation); answers its base URL
 * and `stop()`.
 */
export async function serve(dir, { plain = false } = {}) {
  const args = plain
    ? ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir]
    : ["-u", path.join(root, "web-demo/serve.py"), "0", "--directory", dir];
  const child = spawn("python3", args, { stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise((resolve, reject) => {
    let seen = "";
    const look = (b) => {
      seen += b.toString();
      const m = /port (\d+)/.exec(seen);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.on("exit", (code) => reject(new Error(`the server exited with ${code}: ${seen}`)));
  });
  child.stdout.removeAllListeners("data").resume();
  child.stderr.removeAllListeners("data").resume();
  return { base: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}
