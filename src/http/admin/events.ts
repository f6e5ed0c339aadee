/**
 * Operations on a tenant's accepted events: replaying one for the plugins whose final record is
 * failed or timed out (or for the ones named), through the same durable delivery as a webhook.
 */
import type { Hono } from "hono";
import { ValidationError } from "../../errors.ts";
import type { EventProcessor } from "../../events/types.ts";
import type { Kernel } from "../../kernel.ts";
import { readJsonBody } from "./body.ts";
import type { AdminEnv, Guards } from "./guard.ts";

/** The most plugins one replay may name (a tenant never has more enabled than registered). */
const MAX_NAMED = 100;

export function eventRoutes(app: Hono<AdminEnv>, kernel: Kernel, events: EventProcessor, guards: Guards): void {
  const { token, tenant } = guards;

  app.post("/tenants/:id/events/:event_id/replay", token, tenant, async (c) => {
    const id = c.get("tenantId");
    await kernel.requireTenant(id);
    // No body: the plugins whose final record is failed or timed out. A body names the plugins.
    const hasBody = c.req.header("content-length") !== "0" && c.req.raw.body !== null;
    const plugins = hasBody ? namedPlugins(kernel, await readJsonBody(c.req.raw)) : undefined;
    const eventId = c.req.param("event_id") ?? "";
    const { replayed } = await events.replay(id, eventId, plugins);
    return c.json({ event_id: eventId, replayed }, replayed.length ? 202 : 200);
  });
}

function namedPlugins(kernel: Kernel, body: unknown): string[] {
  const list = (body as { plugins?: unknown } | null)?.plugins;
  if (
    body === null || typeof body !== "object" || Array.isArray(body) || !Array.isArray(list) || list.length === 0 ||
    list.length > MAX_NAMED || !list.every((p) => typeof p === "string")
  ) {
    throw new ValidationError(`the body must be {"plugins": [names]}, with 1 to ${MAX_NAMED} plugin names`, [
      { path: "/plugins", message: `must be an array of 1 to ${MAX_NAMED} plugin names` },
    ]);
  }
  for (const name of list as string[]) kernel.registry.require(name);
  return list as string[];
}
