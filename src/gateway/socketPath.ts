import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Longest Unix socket path we bind or connect to (the kernel's sun_path: 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH_BYTES = 100;

/** A path a Unix socket can be bound or connected at, and what to remove once done with it. */
export type ReachableSocketPath = { path: string; release(): void };

/**
 * The path to bind or connect a Unix socket `file` at. A data dir deep in a file system makes its
 * socket's path longer than the kernel takes: the socket then stays where it is, reached through
 * a symbolic link to its directory from a private directory (mode 0700) under the temporary dir,
 * which `release` removes (the link only, never what it points to).
 */
export function reachableSocketPath(file: string): ReachableSocketPath {
  if (Buffer.byteLength(file) <= MAX_SOCKET_PATH_BYTES) return { path: file, release: () => {} };
  const name = path.basename(file);
  // "<base>/fm-XXXXXX/d/<name>": room for the random part and the link.
  const base = [os.tmpdir(), "/tmp"].find((dir) => Buffer.byteLength(path.join(dir, "firstmile-sock-XXXXXX", "d", name)) <= MAX_SOCKET_PATH_BYTES);
  if (base === undefined) throw new Error(`socket path ${file} is too long for a Unix socket, and so is the temporary dir`);
  const dir = fs.mkdtempSync(path.join(base, "firstmile-sock-"));
  try {
    fs.symlinkSync(path.dirname(path.resolve(file)), path.join(dir, "d"), "dir");
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { path: path.join(dir, "d", name), release: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
