// What the browser tests, the cross-runtime reader (reader.mjs) and bench/browser.mjs share:
// a static server (serve.mjs), launching Debian's headless Chromium, and
// opening harness.html on a server.
import { chromium } from "playwright-core";

export { root, serve } from "./serve.mjs";

/** Headless Chromium (Debian's, or $CHROMIUM). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A new page of `browser` on harness.html of the server at `base`, ready. */
export async function harnessPage(browser, base) {
  const page = await browser.newPage();
  page.on("console", (m) => m.type() === "error" && console.error("page:", m.text()));
  await page.goto(`${base}/tests/browser/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return page;
}

/** Runs `body(repo, harness)` in `page` on a repository opened with `options`; answers `{ ok }` or `{ error: {code, message} }`. */
export function inPage(page, options, body) {
  return page.evaluate(
    ({ options, body }) => {
      const f = new Function(`return (${body});`)();
      return window.harness.withRepository(options, (repo) => f(repo, window.harness));
    },
    { options, body: body.toString() },
  );
}
