#!/usr/bin/env node
/**
 * The dashboard in a real browser: starts the Deno server (test/browser/server.ts: the real Deno
 * adapter, runtime, scheduler and dashboard with the fixture plugins), drives Debian's Chromium
 * with playwright-core (never a downloaded browser), and walks through what an admin does:
 * sign in, enable a plugin, submit an invalid config and see the error at its field, fix and
 * save, set a secret and see it masked and absent from the page source, run a task and see its
 * result, open a health chart, read the data charts, use it at phone width and by keyboard, and
 * check that a tenant-scoped sign-in sees only its tenant. Screenshots go to test-results/browser/.
 * Bounded in time; exits non-zero on any failure; the last line is "N passed, M failed".
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SHOTS = join(ROOT, "test-results/browser");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DENO = join(ROOT, "node_modules/.bin/deno");
const TOTAL_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 30_000;

const results = [];
let server;
let context;
let userDataDir;

const watchdog = setTimeout(() => {
  console.error(`browser tests: over ${TOTAL_TIMEOUT_MS / 1000} s, stopping`);
  results.push({ name: "finishes in time", ok: false });
  void finish(1);
}, TOTAL_TIMEOUT_MS);

async function finish(code) {
  clearTimeout(watchdog);
  await context?.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await Promise.race([new Promise((r) => server.once("exit", r)), sleep(5000)]);
    if (server.exitCode === null) server.kill("SIGKILL");
  }
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code || (failed ? 1 : 0));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await Promise.race([
      fn(),
      sleep(STEP_TIMEOUT_MS).then(() => {
        throw new Error(`step took over ${STEP_TIMEOUT_MS / 1000} s`);
      }),
    ]);
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`  ✗ ${name}\n      ${String(error?.message ?? error).split("\n").join("\n      ")}`);
    // Where the browser was, for the report: the URL and a screenshot named after the step.
    const page = context?.pages()[0];
    if (page) {
      console.log(`      at ${page.url()}`);
      await shot(page, `failed-${results.length}`).catch(() => {});
    }
  }
}

/** Start the Deno server and read its one JSON line (URL, tokens, tenant ids). */
function startServer() {
  return new Promise((resolveStart, reject) => {
    const child = spawn(DENO, ["run", "--check", "-A", "--unstable-kv", "test/browser/server.ts"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    server = child;
    const timer = setTimeout(() => reject(new Error("the Deno server did not start within 60 s")), 60_000);
    child.once("exit", (code) => reject(new Error(`the Deno server exited early (code ${code})`)));
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolveStart(JSON.parse(line));
      } catch {
        reject(new Error(`unexpected first line from the server: ${line}`));
      }
      lines.on("line", (l) => console.log(`  [server] ${l}`));
    });
  });
}

/** The tenant's section tabs. */
function tabs(page) {
  return page.getByRole("navigation", { name: "Tenant acme" });
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function main() {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const info = await startServer();
  const base = info.url;
  const tenant = `${base}/admin/tenants/${info.tenantA}`;
  console.log(`dashboard browser tests against ${base}/admin (Deno server, Chromium at ${CHROMIUM})`);

  userDataDir = mkdtempSync(join(tmpdir(), "dvp-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? await context.newPage();
  const cspViolations = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) {
      cspViolations.push(msg.text());
    }
  });
  page.on("pageerror", (error) => cspViolations.push(`script error: ${error.message}`));

  await step("sign in with an admin token; the session cookie is HttpOnly, Secure, SameSite=Strict", async () => {
    await page.goto(`${base}/admin/tenants`);
    assert(page.url().startsWith(`${base}/admin/login`), `expected the sign-in page, got ${page.url()}`);
    await shot(page, "01-sign-in");
    await page.getByLabel("Admin token").fill(info.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/admin/tenants`);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === "__Host-dvp_admin");
    assert(session, `no session cookie was stored (cookies: ${cookies.map((c) => c.name).join(", ")})`);
    assert(session.httpOnly && session.secure && session.sameSite === "Strict", JSON.stringify(session));
    assert(session.expires > Date.now() / 1000, "the cookie has no expiry");
    assert(await page.evaluate(() => document.cookie) === "", "the session cookie is readable from script");
    await page.getByRole("link", { name: "acme" }).waitFor();
    await page.getByRole("link", { name: "globex" }).waitFor();
    await shot(page, "02-tenants");
  });

  await step("Tenant → Settings → Plugins: enable a plugin", async () => {
    await page.getByRole("link", { name: "acme" }).click();
    await page.getByRole("heading", { name: "acme", level: 1 }).waitFor();
    await shot(page, "03-overview");
    await tabs(page).getByRole("link", { name: "Plugins" }).click();
    await page.waitForURL(`${tenant}/plugins`);
    await page.getByText("Watches uptime and certificate expiry of the demo domains").waitFor();
    await page.getByRole("button", { name: "Enable demo-monitor" }).click();
    await page.getByText("demo-monitor is now enabled.").waitFor();
    await page.getByRole("button", { name: "Disable demo-monitor" }).waitFor();
    await shot(page, "03-plugins-enabled-list");
  });

  await step("an invalid config shows each error at its field", async () => {
    await page.getByRole("link", { name: "demo-site" }).click();
    await page.waitForURL(`${tenant}/plugins/demo-site`);
    await page.getByLabel("Site URL").fill("not a url");
    await page.getByLabel("Timeout (seconds)").fill("999");
    await page.getByRole("button", { name: "Save configuration" }).click();
    const summary = page.locator(".error-summary");
    await summary.waitFor();
    const url = page.getByLabel("Site URL");
    assert(await url.getAttribute("aria-invalid") === "true", "Site URL is not marked invalid");
    const describedBy = (await url.getAttribute("aria-describedby")).split(" ");
    const errorText = await page.locator(`[id="${describedBy.find((id) => id.endsWith("-error"))}"]`).innerText();
    assert(/Site URL must be a full URL/.test(errorText), `Site URL's error reads: ${errorText}`);
    const timeoutError = await page.locator('[id="cfg/timeout_seconds-error"]').innerText();
    assert(/Timeout \(seconds\) must be at most 300/.test(timeoutError), `timeout error reads: ${timeoutError}`);
    assert(await url.inputValue() === "not a url", "the typed value was lost");
    // The progressive script moves focus to the summary, whose links jump to the fields.
    assert(
      await page.evaluate(() => document.activeElement?.classList.contains("error-summary")),
      "summary not focused",
    );
    await shot(page, "04-config-invalid");
    await summary.getByRole("link", { name: /Site URL/ }).click();
    assert(await page.evaluate(() => location.hash) === "#cfg/site_url", "summary link does not point at the field");
  });

  await step("fix the config and save it", async () => {
    await page.getByLabel("Site URL").fill("https://demo.example/");
    await page.getByLabel("Timeout (seconds)").fill("60");
    await page.getByLabel("Region").selectOption("us");
    await page.getByLabel("rankings").check();
    await page.getByLabel("Domains").fill("demo.example\nwww.demo.example");
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page.getByText("Configuration saved.").waitFor();
    assert(await page.getByLabel("Timeout (seconds)").inputValue() === "60", "saved timeout not shown");
    assert(await page.getByLabel("rankings").isChecked(), "saved features not shown");
    await shot(page, "05-config-saved");
    // Its secrets schema requires an API token: enabling is refused, naming it, until one is set.
    await page.getByRole("button", { name: "Enable demo-site" }).click();
    await page.getByText("its required secrets are not set (api_token)").waitFor();
    await page.getByRole("link", { name: "Configure demo-site" }).click();
    await page.getByRole("button", { name: "Save secrets" }).waitFor();
  });

  const SECRET = "tok_browser_only_7Hq2Zx9";
  await step("set a secret: shown only as set, never in the page source", async () => {
    await page.getByLabel("Value").first().fill(SECRET);
    await page.getByRole("button", { name: "Save secrets" }).click();
    await page.getByText("Secrets saved.").waitFor();
    const status = await page.locator('[id="secret-api_token-status"]').innerText();
    assert(status.trim() === "set", `API token status: ${status}`);
    assert(await page.locator('[id="secret-api_token"]').inputValue() === "", "the secret input is filled");
    assert(!(await page.content()).includes(SECRET), "the secret is in the DOM");
    const source = await (await page.request.get(page.url())).text();
    assert(source.includes("Secrets saved.") && !source.includes(SECRET), "the secret is in the page source");
    for (const path of ["", "/plugins", "/tasks", "/history"]) {
      const html = await (await page.request.get(`${tenant}${path}`)).text();
      assert(!html.includes(SECRET), `the secret is in ${path || "the overview"}`);
    }
    await shot(page, "06-secret-set");
    await page.getByRole("button", { name: "Enable demo-site" }).click();
    await page.getByText("demo-site is now enabled.").waitFor();
  });

  await step("replace and clear a secret (the clear is confirmed first)", async () => {
    await page.locator('[id="secret-hook_url"]').fill("https://hooks.example/build/abc123");
    await page.getByRole("button", { name: "Save secrets" }).click();
    await page.getByText("Secrets saved.").waitFor();
    assert((await page.locator('[id="secret-hook_url-status"]').innerText()).trim() === "set", "hook_url not set");
    await page.getByLabel("Clear Build hook URL").check();
    // The script asks first. Dismissed: nothing is cleared.
    const asked = [];
    const answer = (accept) => (dialog) => {
      asked.push(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    };
    page.once("dialog", answer(false));
    await page.getByRole("button", { name: "Save secrets" }).click();
    await sleep(300);
    assert(asked.length === 1 && /Clear hook_url\?/.test(asked[0]), `confirmations: ${JSON.stringify(asked)}`);
    assert(
      (await page.locator('[id="secret-hook_url-status"]').innerText()).trim() === "set",
      "cleared though dismissed",
    );
    page.once("dialog", answer(true));
    await page.getByRole("button", { name: "Save secrets" }).click();
    await page.getByText("Secrets saved.").waitFor();
    const status = (await page.locator('[id="secret-hook_url-status"]').innerText()).trim();
    assert(status === "not set", `hook_url status after clearing: ${status}`);
    assert((await page.locator('[id="secret-api_token-status"]').innerText()).trim() === "set", "api_token lost");
  });

  await step("run a task now and see its result; failures appear in the history", async () => {
    await tabs(page).getByRole("link", { name: "Scheduled tasks" }).click();
    await page.waitForURL(`${tenant}/tasks`);
    await page.getByText("0 6 * * *").waitFor();
    await page.getByRole("button", { name: "Run Sync pages now" }).click();
    await page.getByRole("heading", { name: /demo-site\.sync succeeded/ }).waitFor();
    await page.getByText('"pages_synced": 42').waitFor();
    await shot(page, "07-task-run");
    // Post/redirect/get: reloading the result page shows the result again without a second run.
    const runRows = () => page.getByRole("region", { name: "Recent task runs" }).locator("tbody tr").count();
    const before = await runRows();
    await page.reload();
    await page.getByRole("heading", { name: /demo-site\.sync succeeded/ }).waitFor();
    assert((await runRows()) === before, "reloading the result page ran the task again");
    await page.getByRole("button", { name: "Run Weekly report now" }).click();
    await page.getByRole("heading", { name: /demo-site\.report failed/ }).waitFor();
    const runs = page.getByRole("region", { name: "Recent task runs" });
    await runs.getByText("report service answered 503 Service Unavailable").waitFor();
    await shot(page, "08-task-failed");
  });

  await step("open a health chart: latency, uptime, days to certificate expiry", async () => {
    await tabs(page).getByRole("link", { name: "Health" }).click();
    await page.waitForURL(`${tenant}/health`);
    for (let i = 0; i < 4; i++) {
      await page.getByRole("button", { name: "Run health checks now" }).click();
      await page.getByText("Ran 2 health checks.").waitFor();
    }
    await shot(page, "09-health");
    await page.getByRole("link", { name: "Charts for ssl demo.example" }).click();
    await page.getByRole("heading", { name: "ssl · demo.example" }).waitFor();
    const latency = page.getByRole("img", { name: "Latency over time" });
    await latency.waitFor();
    const expiry = page.getByRole("img", { name: "Days to certificate expiry" });
    await expiry.waitFor();
    const dots = await expiry.locator("circle").count();
    assert(dots === 4, `expected 4 points on the expiry chart, found ${dots}`);
    const box = await expiry.boundingBox();
    assert(box && box.width > 300 && box.height > 100, `chart is not laid out: ${JSON.stringify(box)}`);
    await page.getByRole("img", { name: /Uptime: \d+(\.\d+)?% healthy/ }).waitFor();
    await shot(page, "10-health-chart");
  });

  await step("plugin data: clicks and impressions over time", async () => {
    await tabs(page).getByRole("link", { name: "Data" }).click();
    await page.getByRole("img", { name: "Clicks" }).waitFor();
    await page.getByRole("img", { name: "Impressions" }).waitFor();
    await shot(page, "11-data");
  });

  await step("keyboard: the skip link comes first and moves focus to the main content", async () => {
    await page.goto(`${tenant}/plugins`);
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement?.textContent);
    assert(first === "Skip to main content", `first Tab stop: ${first}`);
    await page.keyboard.press("Enter");
    assert(await page.evaluate(() => document.activeElement?.id) === "main", "focus did not move to main");
    const outline = await page.evaluate(() => {
      const link = document.querySelector("nav.tabs a");
      link.focus();
      return getComputedStyle(link).outlineStyle;
    });
    assert(outline !== "none", "no visible focus outline");
  });

  await step("phone width: no sideways scrolling, forms usable", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ["/plugins/demo-site", "/tasks", "/health"]) {
      await page.goto(`${tenant}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - globalThis.innerWidth);
      assert(overflow <= 0, `${path} scrolls sideways by ${overflow}px at 390px`);
    }
    await page.goto(`${tenant}/plugins/demo-site`);
    const input = await page.getByLabel("Site URL").boundingBox();
    assert(input && input.width > 300, `the Site URL input is ${input?.width}px wide`);
    await shot(page, "12-phone-plugin");
    await page.goto(`${tenant}/tasks`);
    await shot(page, "13-phone-tasks");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step("no Content-Security-Policy violations or script errors on any page", async () => {
    assert(cspViolations.length === 0, cspViolations.join("\n"));
  });

  await step("sign out, then a tenant-scoped token sees only its tenant (403 elsewhere)", async () => {
    await page.goto(`${base}/admin/tenants`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    assert(!(await context.cookies(base)).some((c) => c.name === "__Host-dvp_admin"), "session cookie remains");
    await page.getByLabel("Admin token").fill(info.scopedToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/admin/tenants`);
    await page.getByRole("link", { name: "acme" }).waitFor();
    assert(await page.getByRole("link", { name: "globex" }).count() === 0, "globex is listed for a scoped token");
    const res = await page.goto(`${base}/admin/tenants/${info.tenantB}/plugins`);
    assert(res.status() === 403, `other tenant answered ${res.status()}`);
    await page.getByRole("heading", { name: "Not allowed" }).waitFor();
    await shot(page, "14-scoped-forbidden");
  });
}

main().then(() => finish(0), (error) => {
  console.error(`browser tests could not run: ${error?.stack ?? error}`);
  results.push({ name: "setup", ok: false });
  return finish(1);
});
