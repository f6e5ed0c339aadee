/**
 * An in-memory stand-in for a Cloudflare Queue / Deno KV queue: `send` keeps the message (or
 * rejects while the queue is "down"), and the test decides when, how often and how
 * concurrently each message is delivered, as an at-least-once queue may.
 */
import type { WorkMessage, WorkQueue } from "../../src/queue.ts";
import type { ConsumeOutcome, Runtime } from "../../src/runtime.ts";

export interface TestQueue extends WorkQueue {
  /** Every message accepted by `send`, in order. */
  readonly sent: WorkMessage[];
  /** Messages not yet acked, with the delay the consumer asked for. */
  readonly pending: { message: WorkMessage; retryDelaySeconds: number }[];
  /** While true, `send` rejects (the binding is unavailable). */
  down: boolean;
  /**
   * Deliver every pending message once through `runtime.consume` (or through each of the given
   * runtimes side by side: concurrent deliveries in several isolates). Acked ones leave the queue.
   */
  deliver(runtimes: Runtime | Runtime[], copies?: number): Promise<ConsumeOutcome[]>;
}

export function createTestQueue(): TestQueue {
  const sent: WorkMessage[] = [];
  let pending: { message: WorkMessage; retryDelaySeconds: number }[] = [];
  const queue: TestQueue = {
    sent,
    get pending() {
      return pending;
    },
    down: false,
    send(message) {
      if (queue.down) return Promise.reject(new Error("queue binding unavailable (injected)"));
      const copy = structuredClone(message);
      sent.push(copy);
      pending.push({ message: copy, retryDelaySeconds: 0 });
      return Promise.resolve();
    },
    async sendBatch(messages) {
      for (const m of messages) await queue.send(m);
    },
    async deliver(runtimes, copies = 1) {
      const list = Array.isArray(runtimes) ? runtimes : [runtimes];
      const batch = pending;
      pending = [];
      const all: ConsumeOutcome[] = [];
      await Promise.all(batch.map(async (item) => {
        // The same message handed to several consumers at once: a redelivery racing the first.
        const deliveries = [];
        for (let c = 0; c < copies; c++) {
          for (const runtime of list) deliveries.push(runtime.consume([structuredClone(item.message)]));
        }
        const outcomes = (await Promise.all(deliveries)).map((o) => o[0]!);
        all.push(...outcomes);
        // Acked by every delivery or not: a queue keeps a message while any delivery asked to retry.
        const retry = outcomes.find((o) => !o.ack);
        if (retry && !retry.ack) {
          pending.push({ message: item.message, retryDelaySeconds: retry.retryDelaySeconds ?? 0 });
        }
      }));
      return all;
    },
  };
  return queue;
}
