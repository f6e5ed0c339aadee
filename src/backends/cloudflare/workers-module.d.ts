// The workerd module the tenant object extends. Declared here, as cloudflare:sockets is, so the
// core's type check needs no @cloudflare/workers-types (whose globals would hide runtime APIs
// slipping into src/). Only what the object uses.
declare module "cloudflare:workers" {
  export interface DurableObjectStorageLike {
    readonly sql: {
      exec(query: string, ...bindings: (string | number | null | ArrayBuffer)[]): {
        toArray(): Record<string, string | number | null | ArrayBuffer>[];
      };
    };
    transactionSync<T>(work: () => T): T;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number): Promise<void>;
    deleteAlarm(): Promise<void>;
  }

  export interface DurableObjectStateLike {
    readonly storage: DurableObjectStorageLike;
    waitUntil(work: Promise<unknown>): void;
  }

  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: DurableObjectStateLike;
    protected readonly env: Env;
    constructor(ctx: DurableObjectStateLike, env: Env);
    alarm?(): void | Promise<void>;
  }
}
