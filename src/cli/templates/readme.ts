import type { PluginNames } from "../names.ts";
import type { HookGroup } from "./hooks.ts";

export function readmeTemplate(n: PluginNames, groups: HookGroup[], description: string): string {
  const has = (g: HookGroup) => groups.includes(g);
  const hooks: string[] = [];
  if (has("content")) {
    hooks.push(
      "| `contentPublished` | content.published | POSTs `{type, content_id, domain, path}` to `{api_endpoint}/events` |",
      '| `contentUpdated` | content.updated | the same, with `type: "content.updated"` |',
      '| `contentDeleted` | content.deleted | the same, with `type: "content.deleted"` |',
    );
  }
  if (has("filters")) {
    hooks.push("| `beforeContentCreate` | before content is created | trims `title`; rejects an empty title |");
  }
  if (has("tasks")) {
    hooks.push(
      `| \`executeScheduledTask\` | \`${n.slug}.daily-sync\`, daily at 06:00 UTC | GETs \`{api_endpoint}/items\`, stores a summary under \`last-sync\` |`,
    );
  }
  if (has("health")) {
    hooks.push(
      "| `executeHealthCheck` | every health cycle | GETs `{api_endpoint}/health`: healthy, degraded (> 2 s) or unhealthy |",
    );
  }
  return `# ${n.slug}

${description}

## Configuration

| Name | Type | Required | Default | Description |
|------|------|----------|---------|-------------|
| \`api_endpoint\` | string (URI) | yes | — | Base URL of the service this plugin calls |
| \`timeout_seconds\` | integer 1–300 | no | 30 | How long one API call of the daily sync may take (content hooks use 2.5 s, within the 10 s a hook gets) |

## Secrets

Stored encrypted per tenant, never shown back.

| Name | Required | Description |
|------|----------|-------------|
| \`api_token\` | yes | Sent as \`Authorization: Bearer …\` |

## Hooks

| Hook | When | What it does |
|------|------|--------------|
${hooks.join("\n")}

Failures of action hooks are logged and recorded per event (and retried by the kernel); they never
break the publish flow.

## Development

\`\`\`sh
npx vitest run test/plugins/${n.slug}.test.ts   # its tests
npx dvp check ${n.slug}                         # the production checklist
\`\`\`
`;
}
