import fs from "node:fs";
import net from "node:net";

/**
 * The first port of the kernel's range for outgoing connections (Linux; the usual default
 * elsewhere). A port picked now and bound seconds later (a gateway's, after its start-up) must lie
 * below it: inside it, any outgoing connection meanwhile (to PostgreSQL, to a node, from another
 * job) may be given the same port, and the bind fails with EADDRINUSE.
 */
function ephemeralFloor(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST = 10_000;
/** Ports this process handed out already: two picks before either is bound never get the same one. */
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now, outside the range outgoing connections take theirs from. */
export async function freePort(): Promise<number> {
  const highest = ephemeralFloor() - 1;
  if (highest - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
      if (handedOut.has(port) || !(await bindable(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return anyPort();
}
