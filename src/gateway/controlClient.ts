import fs from "node:fs";
import http from "node:http";
import { reachableSocketPath } from "./socketPath";

// The client side of the control socket, apart from the server (src/gateway/controlSocket.ts) so a
// command that only asks the running gateway loads nothing of it.

/** Sends one command to a running gateway's control socket; null if no gateway answers there. */
export async function sendControlCommand(file: string, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: unknown } | null> {
  if (!fs.existsSync(file)) return null;
  const reachable = reachableSocketPath(file);
  return new Promise<{ status: number; body: unknown } | null>((resolve, reject) => {
    const request = http.request({ socketPath: reachable.path, method, path, headers: { "content-type": "application/json" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
        } catch (error) {
          reject(error);
        }
      });
    });
    request.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNREFUSED" || error.code === "ENOENT" ? resolve(null) : reject(error)));
    request.end(body === undefined ? undefined : JSON.stringify(body));
  }).finally(() => reachable.release());
}
