/**
 * `dvp new-plugin <name> [--hooks content,filters,tasks,health]`: writes plugins/<name>/ (config,
 * client, plugin, index, README) and test/plugins/<name>.test.ts, and registers the plugin in
 * plugins/index.ts. Refuses bad names and anything already there before writing a single file.
 */
import { KERNEL_VERSION } from "../version.ts";
import { allowOnly, type ParsedArgs, stringFlag, UsageError } from "./args.ts";
import { type CliIo, join, projectRoot } from "./io.ts";
import { PLACEHOLDER_AUTHOR, PLACEHOLDER_DESCRIPTION, pluginNames, slugProblem } from "./names.ts";
import { registerPlugin } from "./register.ts";
import { clientTemplate } from "./templates/client.ts";
import { configTemplate } from "./templates/config.ts";
import { parseHookGroups } from "./templates/hooks.ts";
import { indexTemplate } from "./templates/index-file.ts";
import { pluginTemplate } from "./templates/plugin.ts";
import { readmeTemplate } from "./templates/readme.ts";
import { testTemplate } from "./templates/test-file.ts";

export const NEW_PLUGIN_USAGE =
  "dvp new-plugin <name> [--hooks content,filters,tasks,health] [--description text] [--author name] [--root dir]";

export async function newPlugin(args: ParsedArgs, io: CliIo): Promise<number> {
  allowOnly(args, ["hooks", "description", "author", "root"]);
  const [slug, ...extra] = args.positionals;
  if (!slug) throw new UsageError(`a plugin name is required: ${NEW_PLUGIN_USAGE}`);
  if (extra.length) throw new UsageError(`one plugin name at a time (got ${args.positionals.join(", ")})`);
  const problem = slugProblem(slug);
  if (problem) throw new UsageError(problem);
  let groups;
  try {
    groups = parseHookGroups(stringFlag(args, "hooks"));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const root = await projectRoot(io, stringFlag(args, "root"));
  const names = pluginNames(slug);
  const dir = join(root, "plugins", slug);
  const testPath = join(root, "test", "plugins", `${slug}.test.ts`);
  const indexPath = join(root, "plugins", "index.ts");

  const fromPackage = await dependsOnKernel(io, root);
  if (fromPackage && !(await io.kind(indexPath))) {
    await io.mkdirp(join(root, "plugins"));
    await io.writeText(indexPath, PACKAGE_INDEX);
  }
  if ((await io.kind(join(root, "plugins"))) !== "dir" || (await io.kind(indexPath)) !== "file") {
    throw new UsageError(`${root} has no plugins/index.ts: run this in the dvp-kernel checkout (or pass --root)`);
  }
  if (await io.kind(dir)) throw new UsageError(`plugins/${slug} already exists: pick another name or remove it first`);
  if (await io.kind(testPath)) throw new UsageError(`test/plugins/${slug}.test.ts already exists: remove it first`);
  // Compute the registry change before writing anything, so a file it cannot edit leaves no half-made plugin.
  const registered = registerPlugin(await io.readText(indexPath), names.className, slug);

  const description = stringFlag(args, "description") ?? PLACEHOLDER_DESCRIPTION;
  const author = stringFlag(args, "author") ?? PLACEHOLDER_AUTHOR;
  const kernelRange = `^${KERNEL_VERSION.split(".")[0]}.0.0`;
  const generated: [string, string][] = [
    [join(dir, "config.ts"), configTemplate(names)],
    [join(dir, "client.ts"), clientTemplate(names)],
    [join(dir, "plugin.ts"), pluginTemplate(names, groups, { description, author, kernelRange })],
    [join(dir, "index.ts"), indexTemplate(names)],
    [join(dir, "README.md"), readmeTemplate(names, groups, description)],
    [testPath, testTemplate(names, groups)],
  ];
  const files = fromPackage
    ? generated.map(([path, text]): [string, string] => [path, importPackage(text)])
    : generated;
  await io.mkdirp(dir);
  await io.mkdirp(join(root, "test", "plugins"));
  for (const [path, text] of files) await io.writeText(path, text);
  await io.writeText(indexPath, registered);
  await io.format?.([...files.map(([path]) => path), indexPath]);

  const rel = (p: string) => p.slice(root.length + 1);
  io.out(`Created plugin ${slug} (${names.className}) with hooks: ${groups.join(", ")}`);
  for (const [path] of files) io.out(`  + ${rel(path)}`);
  io.out(`  ~ plugins/index.ts (registered in bundledPlugins())`);
  io.out("");
  io.out("Next:");
  if (description === PLACEHOLDER_DESCRIPTION || author === PLACEHOLDER_AUTHOR) {
    io.out(
      `  set description and author in plugins/${slug}/plugin.ts and README.md (dvp check flags the placeholders)`,
    );
  }
  io.out(`  npx vitest run test/plugins/${slug}.test.ts   # the generated tests pass as they are`);
  io.out(`  npx dvp check ${slug}                         # the production checklist`);
  return 0;
}

/** plugins/index.ts for a project that has none yet: the list its createRuntime({ plugins }) uses. */
const PACKAGE_INDEX =
  `/** This project's plugins: createWorker({ plugins: bundledPlugins }) (or createRuntime, createTenantObject). */
import type { Plugin } from "@dvp/kernel";

/**
 * The kernel calls this with its settings: allowInsecureUrls is the deployment's DVP_ALLOW_INSECURE_URLS
 * (http and loopback upstreams, for local fakes only), handed on to each plugin's HTTP client.
 */
export function bundledPlugins(settings: { allowInsecureUrls?: boolean } = {}): Plugin[] {
  return [];
}
`;

/**
 * Whether the project installs @dvp/kernel (its package.json depends on it) rather than being
 * the kernel's checkout, whose templates import the sources.
 */
async function dependsOnKernel(io: CliIo, root: string): Promise<boolean> {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(await io.readText(join(root, "package.json")));
  } catch {
    return false;
  }
  return ["dependencies", "devDependencies", "peerDependencies"].some((field) => {
    const deps = manifest[field];
    return typeof deps === "object" && deps !== null && Object.hasOwn(deps, "@dvp/kernel");
  });
}

/** The templates' imports of the kernel's sources, as a project that installs the package writes them. */
function importPackage(text: string): string {
  return text.replaceAll(`"../../src/testing/index.ts"`, `"@dvp/kernel/testing"`)
    .replaceAll(`"../../src/entries/client.ts"`, `"@dvp/kernel/client"`)
    .replaceAll(`"../../src/index.ts"`, `"@dvp/kernel"`);
}
