/** A `TcpConnect` over Node's `net`, standing in for `cloudflare:sockets` / `Deno.connect` in tests. */
import { connect } from "node:net";
import { Duplex } from "node:stream";
import type { TcpConnect } from "../../src/net/tcp.ts";

export const nodeTcpConnect: TcpConnect = ({ hostname, port }) =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {}); // surfaced through the streams
      const { readable, writable } = Duplex.toWeb(socket);
      resolve({
        readable: readable as ReadableStream<Uint8Array>,
        writable: writable as WritableStream<Uint8Array>,
        close: async () => void socket.destroy(),
      });
    });
  });
