/**
 * The bundled plugins. The edge has no file system to discover plugins from, so this list is the
 * registry's source; a test fails when a folder under plugins/ is missing here.
 */
import type { Plugin } from "../src/index.ts";

export function bundledPlugins(): Plugin[] {
  return [];
}
