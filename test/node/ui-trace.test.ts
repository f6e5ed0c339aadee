/** The dashboard's event view: each plugin's run of an event with its spans as a waterfall. */
import { beforeEach, describe, expect, it } from "vitest";
import type { TraceSpan } from "../../src/trace/span.ts";
import { Browser, setupDashboard, TENANT_A } from "../browser/ui-setup.ts";

let env: Awaited<ReturnType<typeof setupDashboard>>;
let browser: Browser;
const T = `/admin/tenants/${TENANT_A}`;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

beforeEach(async () => {
  env = await setupDashboard();
  browser = new Browser(env.app);
  await browser.signIn(await env.token([TENANT_A]));
});

const span = (
  kind: TraceSpan["kind"],
  name: string,
  id: string,
  parent: string | undefined,
  at: number,
  ms: number,
) => ({
  kind,
  name,
  traceId: TRACE,
  spanId: id.padEnd(16, "0"),
  ...(parent ? { parentSpanId: parent.padEnd(16, "0") } : {}),
  startMs: 1_700_000_000_000 + at,
  durationMs: ms,
});

describe("history: an event's timings", () => {
  it("shows the accept, hook and call spans of each run as a waterfall, linked from the history", async () => {
    const plugin = env.kernel.registry.list()[0]!.name;
    await env.kernel.history.record({
      tenantId: TENANT_A,
      kind: "hook",
      plugin,
      name: "contentPublished",
      status: "succeeded",
      final: true,
      attempt: 1,
      eventId: "msg_trace_1",
      spans: [
        span("accept", "POST /v1/webhooks/{tenant_id}", "a1", undefined, 0, 4),
        span("hook", "contentPublished", "b1", "a1", 10, 100),
        { ...span("http", "POST https://api.example/deploy", "c1", "b1", 20, 50), status: 503, error: "HTTP 503" },
        { ...span("http", "POST https://api.example/deploy", "c2", "b1", 80, 25), status: 200 },
      ],
    });
    const history = await (await browser.get(`${T}/history`)).text();
    expect(history).toContain(`href="${T}/history/events/msg_trace_1">timings</a>`);

    const html = await (await browser.get(`${T}/history/events/msg_trace_1`)).text();
    expect(html).toContain(`Trace <code>${TRACE}</code>`);
    // Parents before children, indented by depth; a bar per span on one axis of 110 ms.
    const order = [...html.matchAll(/data-span="([0-9a-f]+)"/g)].map((m) => m[1]!.slice(0, 2));
    expect(order).toEqual(["a1", "b1", "c1", "c2"]);
    expect(html).toContain("Timeline (110 ms)");
    expect(html).toMatch(/<rect x="0%" y="2" width="3.64%"[^>]*fill="#6b7280"/); // accept: 4 of 110 ms
    expect(html).toMatch(/<rect x="18.18%" y="2" width="45.45%"[^>]*fill="#dc2626"/); // the failed call, in red
    expect(html).toContain("HTTP 503");
    expect(html).toContain("→ 200");
  });

  it("answers 404 for an event the history does not have", async () => {
    expect((await browser.get(`${T}/history/events/msg_unknown`)).status).toBe(404);
  });
});
