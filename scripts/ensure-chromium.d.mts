// Types for scripts/ensure-chromium.mjs (plain JavaScript, so that `npm test` runs it on Node alone).
export const DEFAULT_CHROMIUM: string;

export interface ChromiumFacts {
  path: string;
  custom: boolean;
  exists: boolean;
  root: boolean;
  aptGet: boolean;
  sudo: boolean;
}

export type ChromiumPlan =
  | { action: "ready" }
  | { action: "install"; commands: string[][] }
  | { action: "stop"; message: string };

export function chromiumPlan(facts: ChromiumFacts): ChromiumPlan;
