/** The hook groups `--hooks` accepts, and what each adds to a generated plugin. */
export const HOOK_GROUPS = ["content", "filters", "tasks", "health"] as const;
export type HookGroup = (typeof HOOK_GROUPS)[number];

export function parseHookGroups(text: string | undefined): HookGroup[] {
  if (text === undefined) return ["content"];
  const groups = text.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = groups.filter((g) => !(HOOK_GROUPS as readonly string[]).includes(g));
  if (unknown.length || !groups.length) {
    throw new Error(`--hooks takes a comma-separated list of ${HOOK_GROUPS.join(", ")}; got "${text}"`);
  }
  return HOOK_GROUPS.filter((g) => groups.includes(g));
}
