/**
 * A plugin's decrypted secrets for one tenant. It never prints its values: `toJSON`, `toString`
 * and inspection show only which names are set.
 */
import { KernelError } from "./errors.ts";

export class Secrets {
  readonly #plugin: string;
  readonly #values: ReadonlyMap<string, string>;

  constructor(plugin: string, values: Record<string, string> = {}) {
    this.#plugin = plugin;
    this.#values = new Map(Object.entries(values));
  }

  /** The value of a secret that must be set; throws naming the secret (never a value) if not. */
  require(name: string): string {
    const value = this.#values.get(name);
    if (value === undefined || value === "") {
      throw new KernelError("ERR_SECRET_MISSING", `plugin ${this.#plugin}: secret "${name}" is not set`);
    }
    return value;
  }

  get(name: string): string | undefined;
  get(name: string, defaultValue: string): string;
  get(name: string, defaultValue?: string): string | undefined {
    return this.#values.get(name) ?? defaultValue;
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** Names of the secrets that are set. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  toJSON(): Record<string, "set"> {
    return Object.fromEntries(this.names().map((n) => [n, "set" as const]));
  }

  toString(): string {
    return `[Secrets ${this.#plugin}: ${this.names().join(", ") || "none"}]`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
