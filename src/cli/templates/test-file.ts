import type { PluginNames } from "../names.ts";
import type { HookGroup } from "./hooks.ts";

/** The generated plugin's tests: the seed's "Testing Your Plugin" structure, one block per hook group. */
export function testTemplate(n: PluginNames, groups: HookGroup[]): string {
  const has = (g: HookGroup) => groups.includes(g);
  const imports = ["createTestKernel", "lintPlugin", "respondWith", "validateConfig"];
  const blocks: string[] = [];
  if (has("content")) blocks.push(content(n));
  if (has("filters")) blocks.push(filters(n));
  if (has("tasks")) blocks.push(tasks(n));
  if (has("health")) blocks.push(health(n));
  const kernelImports = has("filters") ? `import { FilterRejectedError } from "../../src/index.ts";\n` : "";
  return `import { describe, expect, it } from "vitest";
${kernelImports}import { ${imports.join(", ")} } from "../../src/testing/index.ts";
import { ${n.className} } from "../../plugins/${n.slug}/index.ts";

const API = "https://api.example.com";
const CONFIG = { api_endpoint: API };
const SECRETS = { api_token: "test-token-0123456789" };

/** A kernel with one tenant that has ${n.slug} enabled, configured and its secret set. */
function setup() {
  return createTestKernel({
    // An instant sleep: the HTTP client's retry backoff costs no wall-clock time in tests.
    plugins: [new ${n.className}({ http: { sleep: () => Promise.resolve() } })],
    tenants: [{ plugins: { "${n.slug}": { config: CONFIG, secrets: SECRETS } } }],
  });
}

describe("${n.slug} config", () => {
  it("requires api_endpoint", () => {
    const check = validateConfig(new ${n.className}(), {});
    expect(check.valid).toBe(false);
    expect(check.errors).toContainEqual({ path: "/api_endpoint", message: "is required" });
  });

  it("accepts a valid config and applies the defaults", () => {
    const check = validateConfig(new ${n.className}(), CONFIG);
    expect(check.errors).toEqual([]);
    expect(check.value).toEqual({ api_endpoint: API, timeout_seconds: 30 });
  });

  it("refuses a timeout out of range", () => {
    const check = validateConfig(new ${n.className}(), { ...CONFIG, timeout_seconds: 0 });
    expect(check.errors.map((e) => e.path)).toEqual(["/timeout_seconds"]);
  });
});

describe("${n.slug} registration", () => {
  it("has its name and a semantic version", () => {
    const plugin = new ${n.className}();
    expect(plugin.name).toBe("${n.slug}");
    expect(plugin.version).toMatch(/^\\d+\\.\\d+\\.\\d+/);
  });

  it("passes the production checklist's code checks", () => {
    expect(lintPlugin(new ${n.className}())).toEqual([]);
  });
});
${blocks.join("")}`;
}

function content(n: PluginNames): string {
  return `
describe("${n.slug} content hooks", () => {
  it("tells the API when content is published", async () => {
    const t = await setup();
    t.upstream.on("POST", \`\${API}/events\`, respondWith(202, { accepted: true }));

    const { outcomes } = await t.publish(t.tenantId, "content-123", { domain: "example.com", path: "/hello" });

    expect(outcomes).toMatchObject([{ plugin: "${n.slug}", status: "ok" }]);
    const [call] = t.upstream.requests;
    expect(call?.headers.get("authorization")).toBe(\`Bearer \${SECRETS.api_token}\`);
    expect(call?.json).toEqual({ type: "content.published", content_id: "content-123", domain: "example.com", path: "/hello" });
  });

  it("records a failing API as this plugin's failed outcome, without breaking the publish", async () => {
    const t = await setup();
    t.upstream.on("POST", \`\${API}/events\`, respondWith(500, { error: "boom" }));

    const { outcomes } = await t.publish(t.tenantId, "content-123", { domain: "example.com" });

    expect(outcomes).toMatchObject([{ plugin: "${n.slug}", status: "failed", error: expect.stringContaining("HTTP 500") }]);
    expect(t.logs.find({ level: "error", plugin: "${n.slug}" })).toHaveLength(1);
    expect(t.logs.text()).not.toContain(SECRETS.api_token);
  });
});
`;
}

function filters(n: PluginNames): string {
  return `
describe("${n.slug} filter", () => {
  it("trims the title", async () => {
    const t = await setup();
    const content = await t.filter(t.tenantId, "beforeContentCreate", { title: "  Hello  " });
    expect(content).toEqual({ title: "Hello" });
  });

  it("rejects an empty title, naming the plugin", async () => {
    const t = await setup();
    const rejected = t.filter(t.tenantId, "beforeContentCreate", { title: "   " });
    await expect(rejected).rejects.toBeInstanceOf(FilterRejectedError);
    await expect(rejected).rejects.toMatchObject({ plugin: "${n.slug}", message: "title must not be empty" });
  });
});
`;
}

function tasks(n: PluginNames): string {
  return `
describe("${n.slug} scheduled task", () => {
  it("registers a daily task", async () => {
    const t = await setup();
    const tasks = await t.plugin<${n.className}>("${n.slug}").registerScheduledTasks(await t.hookContext());
    expect(tasks).toMatchObject([{ taskId: "${n.slug}.daily-sync", schedule: { cronExpression: "0 6 * * *" } }]);
  });

  it("fetches the items and reports how many it processed", async () => {
    const t = await setup();
    t.upstream.on("GET", \`\${API}/items\`, respondWith(200, { items: [1, 2, 3] }));
    const plugin = t.plugin<${n.className}>("${n.slug}");
    const [task] = plugin.registerScheduledTasks(await t.hookContext());

    const result = await plugin.executeScheduledTask(task!, await t.hookContext(), t.taskContext({ taskId: task!.taskId }));

    expect(result).toEqual({ success: true, data: { items_processed: 3 } });
    expect(await t.storage(t.tenantId, "${n.slug}").get("last-sync")).toMatchObject({ items: 3 });
  });

  it("runs on schedule when the clock reaches 06:00", async () => {
    const t = await setup();
    t.upstream.on("GET", \`\${API}/items\`, respondWith(200, { items: [1] }));

    await t.tick("2026-01-01T06:00:00Z", { only: "tasks" }); // tasks alone: a plain tick runs health cycles too

    expect(t.upstream.requestsTo("GET", \`\${API}/items\`)).toHaveLength(1);
    const [run] = await t.history(t.tenantId, { kind: "task" });
    expect(run).toMatchObject({ name: "${n.slug}.daily-sync", status: "succeeded" });
  });

  it("returns a failed TaskResult when the API fails", async () => {
    const t = await setup();
    t.upstream.on("GET", \`\${API}/items\`, respondWith(503));
    const plugin = t.plugin<${n.className}>("${n.slug}");
    const [task] = plugin.registerScheduledTasks(await t.hookContext());
    const result = await plugin.executeScheduledTask(task!, await t.hookContext(), t.taskContext());
    expect(result).toEqual({ success: false, errorMessage: "HTTP 503" });
  });
});
`;
}

function health(n: PluginNames): string {
  return `
describe("${n.slug} health check", () => {
  it("is healthy when the API answers and unhealthy when it does not", async () => {
    const t = await setup();
    const plugin = t.plugin<${n.className}>("${n.slug}");
    const [check] = await plugin.registerHealthChecks(await t.hookContext());
    expect(check).toEqual({ checkType: "api", target: API });

    t.upstream.on("GET", \`\${API}/health\`, respondWith(200, { ok: true }));
    const up = await plugin.executeHealthCheck(await t.hookContext(), check!.checkType, check!.target);
    t.upstream.on("GET", \`\${API}/health\`, respondWith(503)); // later routes win
    const down = await plugin.executeHealthCheck(await t.hookContext(), check!.checkType, check!.target);

    expect(up).toMatchObject({ status: "healthy" });
    expect(down).toMatchObject({ status: "unhealthy", message: "HTTP 503" });
  });

  it("runs in the tenant's health cycle", async () => {
    const t = await setup();
    t.upstream.on("GET", \`\${API}/health\`, respondWith(200, { ok: true }));
    const records = await t.runHealthCycle(t.tenantId);
    expect(records).toMatchObject([{ plugin: "${n.slug}", checkType: "api", target: API, status: "healthy" }]);
  });
});
`;
}
