import { createHash } from "node:crypto";
import path from "node:path";

/**
 * Bundles the field app's TypeScript (app/main.ts, the card scanner app/scanEntry.ts and the service
 * worker app/sw.ts) with esbuild,
 * in memory, when the gateway starts: no build step of its own, nothing fetched at run time.
 */
export type FieldBundle = { app: string; sw: string; scan: string; version: string };

export async function buildFieldApp(): Promise<FieldBundle> {
  const esbuild = await import("esbuild");
  const dir = path.join(__dirname, "app");
  const common: import("esbuild").BuildOptions & { write: false } = {
    bundle: true,
    minify: true,
    write: false,
    platform: "browser",
    target: ["chrome90", "safari15", "firefox90"],
    format: "iife",
    legalComments: "none",
    logLevel: "silent",
  };
  const app = await esbuild.build({ ...common, entryPoints: [path.join(dir, "main.ts")] });
  const appText = app.outputFiles[0]!.text;
  // The card scanner (jsQR is half the app's code) is its own script, loaded when the camera opens.
  const scan = await esbuild.build({ ...common, entryPoints: [path.join(dir, "scanEntry.ts")] });
  const scanText = scan.outputFiles[0]!.text;
  const version = createHash("sha256").update(appText).update(scanText).digest("hex").slice(0, 12);
  const sw = await esbuild.build({ ...common, entryPoints: [path.join(dir, "sw.ts")], define: { VERSION: JSON.stringify(version) } });
  return { app: appText, sw: sw.outputFiles[0]!.text, scan: scanText, version };
}
