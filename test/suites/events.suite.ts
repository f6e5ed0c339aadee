/**
 * The event pipeline (DESIGN §6): inbox and queue delivery, retries with a bounded number of
 * attempts, exactly one final record per (event, plugin), idempotent redelivery, sweep, replay.
 * One suite on every store that holds events: memory on Node (test/node/events.test.ts), the
 * tenant's Durable Object in workerd (test/workers/events.test.ts), Deno KV under Deno
 * (test/deno/events.test.ts).
 */
import { type ContentEvent, createEventProcessor, eventKeys, RetryLaterError } from "../../src/events/index.ts";
import { createKernel, type ExecutionRecord, generateMasterKey } from "../../src/entries/runtime.ts";
import type { KVDriver } from "../../src/entries/drivers.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { RecorderPlugin } from "../fixtures/webhook-kit.ts";
import type { Harness } from "./harness.ts";

export interface EventsTarget {
  /** A fresh store for one test (or a namespace of one); `now` is the test's clock. */
  driver(now: () => number): KVDriver | Promise<KVDriver>;
}

export function eventsSuite(h: Harness, target: EventsTarget): void {
  const { describe, it, expect } = h;
  const TENANT = "0b7c9a52-3d5e-4f61-8a2b-c0ffee000001";

  async function setup(options: { queue?: boolean } = {}) {
    const clock = { now: Date.UTC(2026, 10, 24) };
    const driver = await target.driver(() => clock.now);
    const good = new RecorderPlugin("good");
    const flaky = new RecorderPlugin("flaky");
    const kernel = createKernel({
      driver,
      plugins: [good, flaky],
      masterKeys: generateMasterKey("k1"),
      now: () => clock.now,
      log: { level: "error", sink: () => {} },
    });
    await kernel.putTenant(TENANT, { slug: "acme", plan: "free" });
    await kernel.enable(TENANT, "good");
    await kernel.enable(TENANT, "flaky");
    const sent: WorkMessage[] = [];
    /** How many send or sendBatch calls the queue answered. */
    const sends = { calls: 0 };
    let queueDown = false;
    const queue = {
      send(message: WorkMessage) {
        if (queueDown) return Promise.reject(new Error("queue unavailable"));
        sends.calls++;
        sent.push(message);
        return Promise.resolve();
      },
      sendBatch(messages: WorkMessage[]) {
        if (queueDown) return Promise.reject(new Error("queue unavailable"));
        sends.calls++;
        sent.push(...messages);
        return Promise.resolve();
      },
    };
    // random() = 0: no jitter, so the retries here come exactly 30 s, then 60 s, after a failure.
    const events = createEventProcessor(kernel, { random: () => 0, ...(options.queue ? { queue } : {}) });
    return {
      clock,
      driver,
      kernel,
      good,
      flaky,
      events,
      sent,
      sends,
      setQueueDown: (down: boolean) => (queueDown = down),
    };
  }

  const event = (id: string, type: ContentEvent["type"] = "content.published"): ContentEvent => ({
    id,
    tenantId: TENANT,
    type,
    timestamp: "2026-11-24T00:00:00Z",
    contentId: "post-1",
    content: { title: "t" },
    correlationId: "corr",
    receivedAt: "2026-11-24T00:00:00Z",
  });

  const finals = (records: ExecutionRecord[], eventId: string) =>
    records.filter((r) => r.eventId === eventId && r.final).map((r) => `${r.plugin}:${r.status}`).sort();

  /** Each message delivered once, side by side: "done", or what its delivery threw. */
  const deliver = (t: { events: { handleMessage(m: WorkMessage): Promise<void> } }, messages: WorkMessage[]) =>
    Promise.all(messages.map((m) => t.events.handleMessage(m).then(() => "done", (e: unknown) => e)));

  /** The message for one (event, plugin) pair among those sent. */
  const pairMessage = (sent: WorkMessage[], eventId: string, plugin: string) =>
    sent.find((m) => m.kind === "event" && m.eventId === eventId && m.plugin === plugin)!;

  describe("event processor, KV inbox (no queue)", () => {
    it("retries a failing plugin on later sweeps and ends in exactly one final record each", async () => {
      const t = await setup();
      t.flaky.failNext = 1;
      expect(await t.events.accept(event("e1"))).toBe("accepted");
      await t.events.idle();
      let history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "e1")).toEqual(["good:succeeded"]);
      expect(history.find((r) => r.plugin === "flaky")).toMatchObject({ status: "retrying", final: false, attempt: 1 });

      // The retry is not due yet…
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 0 });
      // …and is after the backoff.
      t.clock.now += 31_000;
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 1 });
      history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "e1")).toEqual(["flaky:succeeded", "good:succeeded"]);
      expect(t.good.seen).toHaveLength(1); // the succeeded plugin was not run again
      expect(t.flaky.seen).toHaveLength(2);
      // Done: the inbox is empty.
      t.clock.now += 3600_000;
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 0 });
    });

    it("gives up after maxAttempts with a final failed record that can be replayed", async () => {
      const t = await setup();
      t.flaky.failNext = 100;
      await t.events.accept(event("e2"));
      await t.events.idle();
      for (let i = 0; i < 5; i++) {
        t.clock.now += 10 * 60_000;
        await t.events.sweep(new Date(t.clock.now));
      }
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "e2")).toEqual(["flaky:failed", "good:succeeded"]);
      expect(t.flaky.seen).toHaveLength(3);
      const failed = history.find((r) => r.plugin === "flaky" && r.final)!;
      expect(failed.attempt).toBe(3);
      expect(failed.error).toMatch(/failed on purpose/);

      t.flaky.failNext = 0;
      await t.events.replay(TENANT, "e2");
      const after = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(after.filter((r) => r.eventId === "e2" && r.plugin === "flaky" && r.status === "succeeded")).toHaveLength(
        1,
      );
      expect(t.good.seen).toHaveLength(1);
    });

    it("replay of one plugin leaves the others' retries alone, and resets only plugins with a final record", async () => {
      const t = await setup();
      t.good.failNext = 100;
      t.flaky.failNext = 1;
      await t.events.accept(event("part"));
      await t.events.idle(); // both failed their first attempt: both wait for their retry
      // A named replay of a plugin that is still on its way does nothing (it ends on its own).
      expect(await t.events.replay(TENANT, "part", ["flaky"])).toEqual({ replayed: [] });
      for (let i = 0; i < 4; i++) {
        t.clock.now += 10 * 60_000;
        await t.events.sweep(new Date(t.clock.now));
      }
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "part")).toEqual([
        "flaky:succeeded",
        "good:failed",
      ]);
      // Replaying only "good" does not strand anything, and "flaky" (final) is not run again.
      t.good.failNext = 1;
      const flakyRuns = t.flaky.seen.length;
      expect(await t.events.replay(TENANT, "part", ["good"])).toEqual({ replayed: ["good"] });
      for (let i = 0; i < 3; i++) {
        t.clock.now += 10 * 60_000;
        await t.events.sweep(new Date(t.clock.now));
      }
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "part")).toEqual([
        "flaky:succeeded",
        "good:failed",
        "good:succeeded",
      ]);
      expect(t.flaky.seen).toHaveLength(flakyRuns);
      expect(await t.driver.get(eventKeys.inbox(TENANT, "part"))).toBeNull(); // all final: no marker left
    });

    it("replay refuses plugins that are not enabled or lack the event's hook", async () => {
      const t = await setup();
      t.flaky.failNext = 100;
      await t.events.accept(event("off"));
      await t.events.idle();
      await t.kernel.disable(TENANT, "flaky");
      await expect(t.events.replay(TENANT, "off", ["flaky"])).rejects.toMatchObject({
        code: "ERR_VALIDATION",
        errors: [{ path: "/plugins", message: "flaky is not enabled, or has no contentPublished" }],
      });
      expect(await t.events.replay(TENANT, "off")).toEqual({ replayed: [] }); // failed, but disabled: not replayed
    });

    it("replay first writes a final record the history lost, from the copy its done-key keeps", async () => {
      const t = await setup();
      t.flaky.failNext = 3;
      await t.events.accept(event("e3"));
      await t.events.idle();
      for (let i = 0; i < 5; i++) {
        t.clock.now += 10 * 60_000;
        await t.events.sweep(new Date(t.clock.now));
      }
      // The final "failed" record's write is lost (as if it had failed after the done-key was written).
      const prefix = `hist:${TENANT}:`;
      const page = await t.driver.list({ prefix });
      const values = await t.driver.getMany(page.keys);
      const lost = page.keys.find((_, i) => /"plugin":"flaky".*"status":"failed".*"final":true/.test(values[i] ?? ""));
      expect(lost).toBeDefined();
      await t.driver.delete(lost!);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "e3")).toEqual(["good:succeeded"]);

      await t.events.replay(TENANT, "e3");
      const after = finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "e3");
      expect(after).toEqual(["flaky:failed", "flaky:succeeded", "good:succeeded"]);
    });

    it("finds a due event behind more than a page of markers that are not due yet", async () => {
      const t = await setup();
      const later = JSON.stringify({ due: t.clock.now + 24 * 3_600_000 });
      for (let i = 0; i < 1_200; i++) {
        await t.driver.put(eventKeys.inbox(TENANT, `m${String(i).padStart(4, "0")}`), later);
      }
      t.flaky.failNext = 1;
      expect(await t.events.accept(event("zz-late"))).toBe("accepted"); // sorts after every m… marker
      await t.events.idle();
      t.clock.now += 10 * 60_000;
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 1 });
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "zz-late")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
    });

    it("sweeps an event whose dispatch never ran (the invocation died after the 2xx)", async () => {
      const t = await setup();
      // An event made durable whose dispatch never ran (the invocation was evicted right after the 2xx).
      const lost = createEventProcessor(t.kernel);
      await t.kernel.driver.put(`inbox:${TENANT}:e4`, JSON.stringify({ due: t.clock.now + 60_000 }));
      await t.kernel.driver.put(
        `evt:${TENANT}:e4`,
        JSON.stringify({ v: 1, event: event("e4"), hook: "contentPublished", plugins: ["good", "flaky"] }),
      );
      t.clock.now += 61_000;
      expect(await lost.sweep(new Date(t.clock.now))).toEqual({ retried: 1 });
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "e4")).toEqual(["flaky:succeeded", "good:succeeded"]);
      // A marker without its event is dropped.
      await t.kernel.driver.put(`inbox:${TENANT}:ghost`, JSON.stringify({ due: 0 }));
      await lost.sweep(new Date(t.clock.now));
      expect(await t.kernel.driver.get(`inbox:${TENANT}:ghost`)).toBeNull();
    });

    it("does not sweep an event while its first dispatch may still be running (a plugin's limit beyond the delay)", async () => {
      const t = await setup();
      t.flaky.hookTimeoutMs = 300_000;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      t.flaky.contentPublished = () => (calls++, gate);
      await t.events.accept(event("slow"));
      const marker = JSON.parse((await t.driver.get(eventKeys.inbox(TENANT, "slow")))!) as { due: number };
      expect(marker.due - t.clock.now).toBe(330_000); // the slowest limit, and time to write its records
      t.clock.now += 61_000;
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 0 });
      release();
      await t.events.idle();
      expect(calls).toBe(1);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "slow")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
    });

    it("a sweep leases each event as it starts it: a second isolate's sweep meanwhile does not run it beside", async () => {
      const t = await setup();
      t.flaky.hookTimeoutMs = 300_000;
      t.flaky.failNext = 1;
      await t.events.accept(event("leased"));
      await t.events.idle(); // flaky failed once: due for its retry
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      t.flaky.contentPublished = () => (calls++, gate);
      t.clock.now += 10 * 60_000;
      const first = t.events.sweep(new Date(t.clock.now));
      while (calls === 0) await new Promise((r) => setTimeout(r, 1));
      // Another isolate (its own processor on the same store), a minute later.
      const other = createEventProcessor(t.kernel);
      t.clock.now += 60_000;
      expect(await other.sweep(new Date(t.clock.now))).toEqual({ retried: 0 });
      release();
      await first;
      expect(calls).toBe(1);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "leased")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
    });

    it("records a plugin disabled before it ran as skipped, and ignores plugins enabled after arrival", async () => {
      const t = await setup();
      // Store the event without dispatching, then change the plugin set.
      await t.kernel.driver.put(
        `evt:${TENANT}:e5`,
        JSON.stringify({ v: 1, event: event("e5"), hook: "contentPublished", plugins: ["good", "flaky"] }),
      );
      await t.kernel.disable(TENANT, "flaky");
      await t.events.process(TENANT, "e5");
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "e5")).toEqual(["flaky:skipped", "good:succeeded"]);
      expect(t.flaky.seen).toHaveLength(0);

      await t.kernel.disable(TENANT, "good");
      await t.kernel.enable(TENANT, "flaky");
      await t.kernel.enable(TENANT, "good");
      await t.kernel.disable(TENANT, "flaky");
      await t.events.accept(event("e6"));
      await t.events.idle();
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "e6")).toEqual(["good:succeeded"]);
    });
  });

  describe("one queue message per (event, plugin)", () => {
    it("accept sends one batch with a message per plugin; each consumer runs only its plugin", async () => {
      const t = await setup({ queue: true });
      expect(await t.events.accept(event("p1"))).toBe("accepted");
      expect(t.sends.calls).toBe(1);
      expect(t.sent).toEqual([
        { kind: "event", tenantId: TENANT, eventId: "p1", plugin: "good", at: t.clock.now },
        { kind: "event", tenantId: TENANT, eventId: "p1", plugin: "flaky", at: t.clock.now },
      ]);
      t.flaky.failNext = 1;
      // The good plugin's message is acked on its own; only the flaky one's is retried.
      expect(await t.events.handleMessage(pairMessage(t.sent, "p1", "good")).then(() => "done")).toBe("done");
      expect(t.good.seen).toHaveLength(1);
      expect(t.flaky.seen).toHaveLength(0);
      const retried = await t.events.handleMessage(pairMessage(t.sent, "p1", "flaky")).catch((e) => e);
      expect(retried).toBeInstanceOf(RetryLaterError);
      expect(t.good.seen).toHaveLength(1);
      await t.events.handleMessage(pairMessage(t.sent, "p1", "flaky"));
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "p1")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      // All final: nothing is left for the re-drive.
      expect(await t.driver.get(eventKeys.inbox(TENANT, "p1"))).toBeNull();
    });

    it("a consumer that crashes mid-run for one plugin leaves the other's final record; the crashed pair ends in one", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("crash"));
      // The flaky pair's consumer dies after its plugin ran, as it commits the ledger entry.
      const driver = t.kernel.driver;
      const { claimWith, putIfAbsent } = driver;
      let crashes = 1;
      const crashing = (key: string) => key.startsWith("evdone:") && key.endsWith(":flaky") && crashes-- > 0;
      Object.assign(driver, {
        putIfAbsent: (key: string, value: string, opts?: { ttlSeconds?: number }) =>
          crashing(key) ? Promise.reject(new Error("invocation cut off")) : putIfAbsent.call(driver, key, value, opts),
        ...(claimWith
          ? {
            claimWith: (claim: { key: string; value: string }, writes: never[], deletes?: string[]) =>
              crashing(claim.key)
                ? Promise.reject(new Error("invocation cut off"))
                : claimWith.call(driver, claim, writes, deletes),
          }
          : {}),
      });
      const outcomes = await deliver(t, t.sent);
      expect(outcomes[0]).toBe("done");
      expect((outcomes[1] as Error).message).toBe("invocation cut off");
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "crash")).toEqual(["good:succeeded"]);
      // Redelivered (twice, and once more at the same moment): the pair ends in exactly one record.
      await t.events.handleMessage(pairMessage(t.sent, "crash", "flaky"));
      await deliver(t, [pairMessage(t.sent, "crash", "flaky"), pairMessage(t.sent, "crash", "flaky")]);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "crash")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      expect(t.good.seen).toHaveLength(1);
      expect(t.flaky.seen).toHaveLength(2); // the run that crashed and the redelivery's
    });

    it("a duplicate delivery of one pair's message adds no record and runs no other plugin", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("dup"));
      const message = pairMessage(t.sent, "dup", "good");
      await deliver(t, [message, message, message]);
      await t.events.handleMessage(message);
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "dup")).toEqual(["good:succeeded"]);
      expect(history.filter((r) => r.eventId === "dup")).toHaveLength(1);
      expect(t.flaky.seen).toHaveLength(0);
    });

    it("a dead-lettered pair gets one failed record, unless it has a final one: a success is left alone", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("dl"));
      await t.events.handleMessage(pairMessage(t.sent, "dl", "good"));
      const reason = "gave up";
      expect(await t.events.abandon(TENANT, "dl", reason, "good")).toEqual({ finalized: [] });
      expect(await t.events.abandon(TENANT, "dl", reason, "flaky")).toEqual({ finalized: ["flaky"] });
      expect(await t.events.abandon(TENANT, "dl", reason, "flaky")).toEqual({ finalized: [] });
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "dl")).toEqual(["flaky:failed", "good:succeeded"]);
      expect(history.filter((r) => r.eventId === "dl")).toHaveLength(2);
      expect(await t.driver.get(eventKeys.inbox(TENANT, "dl"))).toBeNull();
      // A late delivery of the abandoned pair finds its final record: nothing runs.
      await t.events.handleMessage(pairMessage(t.sent, "dl", "flaky"));
      expect(t.flaky.seen).toHaveLength(0);
    });

    it("a message of the old shape (no plugin) still runs every plugin of its event", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("old"));
      await t.events.handleMessage({ kind: "event", tenantId: TENANT, eventId: "old", at: t.clock.now });
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "old")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      await deliver(t, t.sent); // the new messages of the same event change nothing
      expect(t.good.seen).toHaveLength(1);
      expect(t.flaky.seen).toHaveLength(1);
    });

    it("the re-drive sends messages for the unfinished pairs, runs nothing inline, and moves the marker on", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("lost"));
      const marker = () =>
        t.driver.get(eventKeys.inbox(TENANT, "lost")).then((v) => v === null ? null : JSON.parse(v) as { due: number });
      const due = (await marker())!.due;
      expect(due).toBeGreaterThan(t.clock.now);
      // Only the good pair's message arrives; the flaky pair's is lost.
      await t.events.handleMessage(pairMessage(t.sent, "lost", "good"));
      expect(await t.events.sweep(new Date(due - 1))).toEqual({ retried: 0 });
      t.clock.now = due;
      const before = t.sent.length;
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 1 });
      expect(t.sent.slice(before)).toEqual([
        { kind: "event", tenantId: TENANT, eventId: "lost", plugin: "flaky", at: t.clock.now },
      ]);
      expect(t.flaky.seen).toHaveLength(0); // sent, not run inside the sweep
      expect((await marker())!.due).toBeGreaterThan(t.clock.now); // checked again later
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 0 });
      await t.events.handleMessage(t.sent.at(-1)!);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "lost")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      expect(await marker()).toBeNull();
    });

    it("a replayed pair whose message is lost after its reset is sent again by the re-drive, to one new record", async () => {
      const t = await setup({ queue: true });
      t.flaky.failNext = 3;
      await t.events.accept(event("rl"));
      for (let i = 0; i < 3; i++) await deliver(t, t.sent.slice(0, 2));
      expect(await t.driver.get(eventKeys.inbox(TENANT, "rl"))).toBeNull(); // all final
      expect(await t.events.replay(TENANT, "rl")).toEqual({ replayed: ["flaky"] });
      // The replay's delivery applies the reset, then its invocation dies before the run is recorded;
      // the queue never delivers it again.
      const replayed = t.sent.at(-1)!;
      const driver = t.kernel.driver;
      const { putIfAbsent, claimWith } = driver;
      // The ledger's claim of the pair's final record fails; the reset before it commits.
      const cut = (call: (...args: never[]) => Promise<boolean>) => (key: string | { key: string }, ...rest: never[]) =>
        (typeof key === "string" ? key : key.key).startsWith("evdone:")
          ? Promise.reject(new Error("invocation cut off"))
          : call.call(driver, key as never, ...rest);
      Object.assign(driver, { putIfAbsent: cut(putIfAbsent), ...(claimWith ? { claimWith: cut(claimWith) } : {}) });
      await t.events.handleMessage(replayed).catch(() => {});
      Object.assign(t.kernel.driver, { putIfAbsent, ...(claimWith ? { claimWith } : {}) });
      const raw = await t.driver.get(eventKeys.inbox(TENANT, "rl"));
      expect(raw).not.toBeNull();
      t.clock.now = (JSON.parse(raw!) as { due: number }).due;
      const before = t.sent.length;
      expect(await t.events.sweep(new Date(t.clock.now))).toEqual({ retried: 1 });
      expect(t.sent.slice(before)).toEqual([expect.objectContaining({ eventId: "rl", plugin: "flaky" })]);
      await t.events.handleMessage(t.sent.at(-1)!);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "rl")).toEqual([
        "flaky:failed",
        "flaky:succeeded",
        "good:succeeded",
      ]);
      expect(await t.driver.get(eventKeys.inbox(TENANT, "rl"))).toBeNull();
    });

    it("a pair the queue never finishes ends, after its re-drives, in one failed record", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("never"));
      await t.events.handleMessage(pairMessage(t.sent, "never", "good"));
      // No message of the flaky pair is ever delivered: each re-drive comes due and sends again.
      for (let i = 0; i < 20; i++) {
        const raw = await t.driver.get(eventKeys.inbox(TENANT, "never"));
        if (raw === null) break;
        t.clock.now = Math.max(t.clock.now, (JSON.parse(raw) as { due: number }).due);
        await t.events.sweep(new Date(t.clock.now));
      }
      expect(await t.driver.get(eventKeys.inbox(TENANT, "never"))).toBeNull();
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "never")).toEqual(["flaky:failed", "good:succeeded"]);
      expect(history.find((r) => r.eventId === "never" && r.plugin === "flaky")?.reason).toMatch(/re-driven/);
      expect(t.flaky.seen).toHaveLength(0);
    });

    it("a tenant's re-drive reaches a due event behind 3,000 that are not due yet", async () => {
      const t = await setup({ queue: true });
      // The flaky pair's message is lost; its marker ("zz-…" sorts after those below) comes due.
      await t.events.accept(event("zz-lost"));
      await t.events.handleMessage(pairMessage(t.sent, "zz-lost", "good"));
      const { due } = JSON.parse((await t.driver.get(eventKeys.inbox(TENANT, "zz-lost")))!) as { due: number };
      // 3,000 events accepted since, whose pairs are still with the queue: markers, not due yet.
      const later = JSON.stringify({ due: due + 3_600_000 });
      for (let i = 0; i < 3000; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, j) => t.driver.put(eventKeys.inbox(TENANT, `a-${i + j}`), later)),
        );
      }
      t.clock.now = due;
      const before = t.sent.length;
      expect(await t.events.sweep(new Date(t.clock.now), { tenantId: TENANT })).toEqual({ retried: 1 });
      expect(t.sent.slice(before)).toEqual([expect.objectContaining({ eventId: "zz-lost", plugin: "flaky" })]);
    });

    it("a late message that finds no event leaves the marker of the event accepted again under its id", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("again"));
      const late = pairMessage(t.sent, "again", "good");
      // Its send failed and the claim was released (the event and marker gone) ...
      await t.driver.delete(eventKeys.event(TENANT, "again"));
      await t.driver.delete(eventKeys.inbox(TENANT, "again"));
      // ... and the sender's retry is accepted just after the late message looked for the event.
      const get = t.driver.get;
      t.driver.get = async (key) => {
        const value = await get.call(t.driver, key);
        if (key === eventKeys.event(TENANT, "again")) {
          t.driver.get = get;
          expect(await t.events.accept(event("again"))).toBe("accepted");
        }
        return value;
      };
      await deliver(t, [late]);
      t.driver.get = get;
      expect(await t.driver.get(eventKeys.inbox(TENANT, "again"))).not.toBeNull();
    });

    it("a re-drive that finds every pair final leaves a marker a replay wrote meanwhile", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("rp"));
      await deliver(t, t.sent); // both pairs final
      const inbox = eventKeys.inbox(TENANT, "rp");
      await t.driver.put(inbox, JSON.stringify({ due: t.clock.now })); // a marker left due
      // A replay writes the event's marker first: here, just after the re-drive read the ledger.
      const replayed = JSON.stringify({ due: t.clock.now + 900_000 });
      const getMany = t.driver.getMany;
      t.driver.getMany = async (keys) => {
        const values = await getMany.call(t.driver, keys);
        if (keys.some((k) => k.startsWith("evdone:"))) {
          t.driver.getMany = getMany;
          await t.driver.put(inbox, replayed);
        }
        return values;
      };
      await t.events.sweep(new Date(t.clock.now), { tenantId: TENANT });
      t.driver.getMany = getMany;
      expect(await t.driver.get(inbox)).toBe(replayed);
    });

    it("a re-drive that fails for one event still moves its marker on: the alarm armed for it does not fire again at once", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("garbled"));
      await t.driver.put(eventKeys.event(TENANT, "garbled"), "{ not an event");
      const marker = async () =>
        JSON.parse((await t.driver.get(eventKeys.inbox(TENANT, "garbled")))!) as { due: number };
      t.clock.now = (await marker()).due;
      await t.events.sweep(new Date(t.clock.now), { tenantId: TENANT });
      expect((await marker()).due).toBeGreaterThan(t.clock.now);
    });
  });

  describe("event processor with a queue", () => {
    it("enqueues on accept and dispatches on the message; redelivery adds no record", async () => {
      const t = await setup({ queue: true });
      expect(await t.events.accept(event("q1"))).toBe("accepted");
      expect(t.sent).toEqual(["good", "flaky"].map((plugin) => ({
        kind: "event",
        tenantId: TENANT,
        eventId: "q1",
        plugin,
        at: t.clock.now,
      })));
      expect(t.good.seen).toHaveLength(0); // nothing runs until the consumer gets it
      await deliver(t, t.sent);
      await deliver(t, t.sent); // at-least-once: a second delivery
      await deliver(t, [...t.sent, ...t.sent]);
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "q1")).toEqual(["flaky:succeeded", "good:succeeded"]);
      expect(t.good.seen).toHaveLength(1);
      expect(await t.events.accept(event("q1"))).toBe("duplicate");
      // A duplicate is enqueued again (its first accept may have claimed and then failed to send);
      // delivered, it changes nothing.
      expect(t.sent).toHaveLength(4);
      await deliver(t, t.sent.slice(2));
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "q1")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      expect(t.good.seen).toHaveLength(1);
    });

    it("on eventually consistent KV, retries a message whose event is not visible yet instead of dropping it", async () => {
      const t = await setup({ queue: true });
      expect(await t.events.accept(event("q-far"))).toBe("accepted");
      const message = pairMessage(t.sent, "q-far", "good") as Extract<WorkMessage, { kind: "event" }>;
      // The consumer runs in another location, where the event's KV write has not arrived yet.
      const driver = t.kernel.driver as { atomic: boolean; get: (key: string) => Promise<string | null> };
      const get = driver.get;
      let visible = false;
      Object.assign(driver, {
        atomic: false,
        get: (key: string) => key.startsWith("evt:") && !visible ? Promise.resolve(null) : get(key),
      });
      await expect(t.events.handleMessage(message)).rejects.toBeInstanceOf(RetryLaterError);
      expect(t.good.seen).toHaveLength(0);
      visible = true; // the write has propagated: the retry runs it
      expect(await deliver(t, t.sent)).toEqual(["done", "done"]);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "q-far")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      // Long after acceptance a missing event is gone (expired), not late: acknowledged.
      visible = false;
      t.clock.now += 10 * 60_000;
      await t.events.handleMessage({ ...message, eventId: "q-expired" });
    });

    it("on eventually consistent KV, retries a message whose tenant is not visible yet; a deleted tenant's is acknowledged", async () => {
      const t = await setup({ queue: true });
      expect(await t.events.accept(event("q-new-tenant"))).toBe("accepted");
      const message = pairMessage(t.sent, "q-new-tenant", "good") as Extract<WorkMessage, { kind: "event" }>;
      // The consumer runs in another location, where the tenant's KV write has not arrived yet.
      Object.assign(t.kernel.driver, { atomic: false });
      const getTenant = t.kernel.getTenant.bind(t.kernel);
      let visible = false;
      t.kernel.getTenant = (id: string) => visible ? getTenant(id) : Promise.resolve(null);
      await expect(t.events.handleMessage(message)).rejects.toBeInstanceOf(RetryLaterError);
      expect(t.good.seen).toHaveLength(0);
      visible = true;
      expect(await deliver(t, t.sent)).toEqual(["done", "done"]);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "q-new-tenant")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
      // Long after acceptance, a tenant that is not there was deleted: nothing to run, acknowledged.
      expect(await t.events.accept(event("q-deleted-tenant"))).toBe("accepted");
      visible = false;
      t.clock.now += 10 * 60_000;
      await t.events.handleMessage({ ...message, eventId: "q-deleted-tenant" });
      expect(t.good.seen).toHaveLength(1);
    });

    it("reads the events of one delivery together, and each on its own when that read fails", async () => {
      const t = await setup({ queue: true });
      for (const id of ["b1", "b2", "b3"]) expect(await t.events.accept(event(id))).toBe("accepted");
      const driver = t.kernel.driver;
      const calls = { get: 0, getMany: [] as number[] };
      const { get, getMany } = driver;
      let batchReadFails = false;
      Object.assign(driver, {
        get: (key: string) => (key.startsWith("evt:") && calls.get++, get.call(driver, key)),
        getMany: (keys: readonly string[]) => {
          if (keys.some((k) => k.startsWith("evt:"))) {
            calls.getMany.push(keys.length);
            if (batchReadFails) return Promise.reject(new Error("KV unavailable"));
          }
          return getMany.call(driver, keys);
        },
      });
      const missing = { kind: "event", tenantId: TENANT, eventId: "never-accepted" } as const;
      const results = await Promise.allSettled(t.events.handleMessages([...t.sent, missing]));
      expect(results.map((r) => r.status)).toEqual(Array(7).fill("fulfilled"));
      // One read for the delivery: each event once, however many of its pairs the delivery carries,
      // with each pair's done-key and attempts (3 events and 1 missing, 6 pairs × 2 keys).
      expect(calls).toEqual({ get: 0, getMany: [16] });
      let history = await t.kernel.history.list(TENANT, { kind: "hook" });
      for (const id of ["b1", "b2", "b3"]) expect(finals(history, id)).toEqual(["flaky:succeeded", "good:succeeded"]);
      expect(t.good.seen).toHaveLength(3);

      // The batch read fails: each message reads its own event, and a redelivery still runs nothing twice.
      for (const id of ["b4", "b5"]) await t.events.accept(event(id));
      batchReadFails = true;
      await Promise.all(t.events.handleMessages(t.sent));
      expect(calls).toEqual({ get: 10, getMany: [16, 25] });
      history = await t.kernel.history.list(TENANT, { kind: "hook" });
      for (const id of ["b4", "b5"]) expect(finals(history, id)).toEqual(["flaky:succeeded", "good:succeeded"]);
      expect(t.good.seen).toHaveLength(5);

      // A batch read that answers for fewer keys is not taken to mean "no such event": each reads alone.
      for (const id of ["b6", "b7"]) await t.events.accept(event(id));
      batchReadFails = false;
      Object.assign(driver, {
        getMany: (keys: readonly string[]) =>
          getMany.call(driver, keys).then((values) =>
            keys.some((k) => k.startsWith("evt:")) ? values.slice(1) : values
          ),
      });
      await Promise.all(t.events.handleMessages(t.sent.slice(-4)));
      history = await t.kernel.history.list(TENANT, { kind: "hook" });
      for (const id of ["b6", "b7"]) expect(finals(history, id)).toEqual(["flaky:succeeded", "good:succeeded"]);
      expect(t.good.seen).toHaveLength(7);
    });

    it("asks the consumer to retry while a plugin fails, then finalizes", async () => {
      const t = await setup({ queue: true });
      t.flaky.failNext = 100;
      await t.events.accept(event("q2"));
      await t.events.handleMessage(pairMessage(t.sent, "q2", "good"));
      const message = pairMessage(t.sent, "q2", "flaky");
      for (let attempt = 1; attempt < 3; attempt++) {
        const error = await t.events.handleMessage(message).catch((e) => e);
        expect(error).toBeInstanceOf(RetryLaterError);
        expect((error as RetryLaterError).delaySeconds).toBe(30 * 2 ** (attempt - 1));
      }
      await t.events.handleMessage(message); // the third attempt is final: acked
      await t.events.handleMessage(message);
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "q2")).toEqual(["flaky:failed", "good:succeeded"]);
      expect(history.filter((r) => r.eventId === "q2" && r.plugin === "flaky")).toHaveLength(3);
      expect(t.good.seen).toHaveLength(1);
    });

    it("replays through the queue: the new delivery retries a failing plugin and ends in one new final record", async () => {
      const t = await setup({ queue: true });
      t.flaky.failNext = 3;
      await t.events.accept(event("q-replay"));
      const first = [...t.sent];
      for (let i = 0; i < 3; i++) await deliver(t, first); // three attempts: the last one is final
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "q-replay")).toEqual([
        "flaky:failed",
        "good:succeeded",
      ]);
      t.flaky.failNext = 1; // still failing once more: the replayed delivery must retry, not give up
      expect(await t.events.replay(TENANT, "q-replay")).toEqual({ replayed: ["flaky"] });
      expect(t.sent).toHaveLength(3); // delivered again, durably, as a new message for the one pair
      expect(t.sent[2]).toMatchObject({ plugin: "flaky", replay: { plugins: ["flaky"] } });
      expect((await deliver(t, [t.sent[2]!]))[0]).toBeInstanceOf(RetryLaterError);
      expect(await deliver(t, [t.sent[2]!])).toEqual(["done"]);
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(history, "q-replay")).toEqual(["flaky:failed", "flaky:succeeded", "good:succeeded"]);
      expect(t.good.seen).toHaveLength(1);
      await expect(t.events.replay(TENANT, "q-never")).rejects.toMatchObject({ code: "ERR_EVENT_NOT_FOUND" });
      // The reset travels with the message: nothing is cleared before it is sent, and a redelivery
      // of the same replay message does not clear what its first delivery recorded.
      expect(await t.events.replay(TENANT, "q-replay", ["good"])).toEqual({ replayed: ["good"] });
      expect(await t.driver.get(eventKeys.done(TENANT, "q-replay", "good"))).not.toBeNull();
      const replayMessage = t.sent.at(-1)!;
      expect(replayMessage).toMatchObject({ replay: { plugins: ["good"] } });
      await deliver(t, [replayMessage]);
      await deliver(t, [replayMessage]);
      const after = await t.kernel.history.list(TENANT, { kind: "hook" });
      expect(finals(after, "q-replay").filter((f) => f === "good:succeeded")).toHaveLength(2); // the first run's and the replay's
      expect(t.good.seen).toHaveLength(2);
    });

    it("a replay message delivered twice, the second's reset held up until the first has run: one new final record", async () => {
      const t = await setup({ queue: true });
      await t.events.accept(event("q-replay-twice"));
      await deliver(t, [...t.sent]);
      expect(await t.events.replay(TENANT, "q-replay-twice", ["good"])).toEqual({ replayed: ["good"] });
      const message = t.sent.at(-1)!;
      // The second delivery starts its reset, then is held up on reading the event (a slow read, a
      // paused isolate) while the first delivery resets, runs the plugin and records it.
      const driver = t.kernel.driver;
      const { get } = driver;
      const eventKey = eventKeys.event(TENANT, "q-replay-twice");
      let reached!: () => void;
      let release!: () => void;
      const atGate = new Promise<void>((resolve) => (reached = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      Object.assign(driver, {
        get: (key: string) => {
          if (key !== eventKey) return get.call(driver, key);
          Object.assign(driver, { get }); // once
          reached();
          return gate.then(() => get.call(driver, key));
        },
      });
      const late = t.events.handleMessage(message).then(() => "done", (e: unknown) => e);
      await atGate;
      expect(await deliver(t, [message])).toEqual(["done"]);
      release();
      expect(await late).toBe("done");
      await deliver(t, [message]); // and once more, later
      const history = await t.kernel.history.list(TENANT, { kind: "hook" });
      // The first run's and the replay's: the late reset cleared nothing the replay's run recorded.
      expect(finals(history, "q-replay-twice").filter((f) => f === "good:succeeded")).toHaveLength(2);
      expect(t.good.seen).toHaveLength(2);
    });

    it("a replay whose message cannot be sent clears nothing, so it can be asked again", async () => {
      const t = await setup({ queue: true });
      t.flaky.failNext = 3;
      await t.events.accept(event("q-retry-replay"));
      const first = [...t.sent];
      for (let i = 0; i < 3; i++) await deliver(t, first);
      t.setQueueDown(true);
      await expect(t.events.replay(TENANT, "q-retry-replay")).rejects.toThrow(/queue unavailable/);
      t.setQueueDown(false);
      expect(await t.events.replay(TENANT, "q-retry-replay")).toEqual({ replayed: ["flaky"] });
      await t.events.handleMessage(t.sent.at(-1)!);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "q-retry-replay")).toEqual([
        "flaky:failed",
        "flaky:succeeded",
        "good:succeeded",
      ]);
    });

    it("releases the claim when the queue refuses, so the sender's retry is accepted", async () => {
      const t = await setup({ queue: true });
      t.setQueueDown(true);
      await expect(t.events.accept(event("q3"))).rejects.toThrow(/queue unavailable/);
      t.setQueueDown(false);
      expect(await t.events.accept(event("q3"))).toBe("accepted");
      expect(t.sent).toHaveLength(2);
    });

    it("uses the queue's atomic claimAndSend when it has one: one step, a duplicate sends nothing", async () => {
      const t = await setup();
      const claims: string[] = [];
      const sent: WorkMessage[] = [];
      const queue = {
        send: () => Promise.reject(new Error("send must not be used when claimAndSend exists")),
        async claimAndSend(claim: { key: string; value: string; ttlSeconds: number }, messages: WorkMessage[]) {
          claims.push(claim.key);
          if (!(await t.driver.putIfAbsent(claim.key, claim.value, { ttlSeconds: claim.ttlSeconds }))) return false;
          sent.push(...messages);
          return true;
        },
      };
      const events = createEventProcessor(t.kernel, { queue });
      expect(await events.accept(event("c1"))).toBe("accepted");
      expect(await createEventProcessor(t.kernel, { queue }).accept(event("c1"))).toBe("duplicate");
      expect(claims).toEqual([`evt:${TENANT}:c1`, `evt:${TENANT}:c1`]);
      expect(sent).toEqual(["good", "flaky"].map((plugin) => ({
        kind: "event",
        tenantId: TENANT,
        eventId: "c1",
        plugin,
        at: t.clock.now,
      })));
      // One commit with the queue: no inbox marker (the queue keeps what it cannot deliver).
      expect(await t.driver.get(eventKeys.inbox(TENANT, "c1"))).toBeNull();
      await deliver({ events }, sent);
      expect(finals(await t.kernel.history.list(TENANT, { kind: "hook" }), "c1")).toEqual([
        "flaky:succeeded",
        "good:succeeded",
      ]);
    });

    it("refuses messages of other kinds", async () => {
      const t = await setup({ queue: true });
      await expect(t.events.handleMessage({ kind: "task", tenantId: TENANT, taskId: "x", slot: "s" })).rejects.toThrow(
        /cannot handle "task"/,
      );
    });
  });
}
