// The one workerd module the Cloudflare adapter imports. Declared here so the core's type check
// needs no @cloudflare/workers-types (whose globals would hide runtime APIs slipping into src/).
declare module "cloudflare:sockets" {
  export function connect(address: { hostname: string; port: number }): {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    close(): Promise<void>;
  };
}
