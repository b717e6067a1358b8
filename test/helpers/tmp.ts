import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh directory under the system temp dir; remove it with `removeTempDir`. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `firstmile-${prefix}-`));
}

export function removeTempDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
