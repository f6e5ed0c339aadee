/** A small argv parser: positionals, `--flag value`, `--flag=value` and boolean `--flag`. */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | true>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `booleans` are flags that never take a value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!name) throw new UsageError(`malformed option ${arg}`);
    if (eq >= 0) flags[name] = arg.slice(eq + 1);
    else if (booleans.includes(name)) flags[name] = true;
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
      i++;
    }
  }
  return { positionals, flags };
}

/** A string flag's value, or undefined; a bare boolean where a value is needed is a usage error. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value;
}

/** Refuses flags the command does not know, so a typo is not silently ignored. */
export function allowOnly(args: ParsedArgs, known: readonly string[]): void {
  for (const name of Object.keys(args.flags)) {
    if (!known.includes(name)) {
      throw new UsageError(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(", ")})`);
    }
  }
}
