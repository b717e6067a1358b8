import fs from "node:fs";
import path from "node:path";
import express, { type Request, type Response } from "express";
import { buildFieldApp, type FieldBundle } from "./build";

/**
 * The field app at `/field`: the page, its bundled script and service worker, styles, manifest
 * and icons, with a Content-Security-Policy that allows only this origin (no inline script, no
 * CDN). The bundle is built once, on the first request for it.
 */
const STATIC = path.join(__dirname, "static");

export const FIELD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; font-src 'self'; media-src 'self' mediastream: blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#0b5d1e">
<title>firstmile field</title>
<link rel="manifest" href="manifest.webmanifest">
<link rel="icon" href="icon.svg" type="image/svg+xml">
<link rel="apple-touch-icon" href="icon-192.png">
<link rel="stylesheet" href="app.css">
</head>
<body>
<div id="app"><noscript>firstmile field needs JavaScript.</noscript></div>
<script src="app.js" defer></script>
</body>
</html>
`;

const MANIFEST = JSON.stringify({
  name: "firstmile field",
  short_name: "firstmile",
  description: "Record deliveries, plots and payments offline; sync when the signal returns.",
  start_url: "./",
  scope: "./",
  display: "standalone",
  orientation: "portrait",
  background_color: "#ffffff",
  theme_color: "#0b5d1e",
  icons: [
    { src: "icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
    { src: "icon-192.png", sizes: "192x192", type: "image/png", purpose: "any maskable" },
    { src: "icon-512.png", sizes: "512x512", type: "image/png", purpose: "any maskable" },
  ],
});

export function createFieldRouter(build: () => Promise<FieldBundle> = buildFieldApp): express.Router {
  // Built on the first request for the script (about a second of CPU), not at every gateway start.
  let built: Promise<FieldBundle> | null = null;
  const bundle = {
    then<T>(use: (value: FieldBundle) => T, fail: (error: unknown) => void) {
      built ??= build();
      return built.then(use, (error: unknown) => {
        built = null; // the next request tries again
        fail(error);
      });
    },
  };
  const router = express.Router();
  const send = (res: Response, type: string, body: string | Buffer, cache = "no-cache") => {
    res.set({ "content-type": type, "content-security-policy": FIELD_CSP, "x-content-type-options": "nosniff", "cache-control": cache, "referrer-policy": "no-referrer" });
    res.end(body);
  };
  const file = (name: string) => fs.readFileSync(path.join(STATIC, name));

  router.get("/", (req: Request, res: Response) => {
    // The page's relative URLs resolve under /field/ only with the slash.
    if (!req.originalUrl.split("?")[0]!.endsWith("/")) return res.redirect(301, "/field/");
    send(res, "text/html; charset=utf-8", PAGE);
  });
  router.get("/app.js", async (_req, res, next) => bundle.then((built) => send(res, "text/javascript; charset=utf-8", built.app), next));
  router.get("/scan.js", async (_req, res, next) => bundle.then((built) => send(res, "text/javascript; charset=utf-8", built.scan), next));
  router.get("/sw.js", async (_req, res, next) =>
    bundle.then((built) => {
      res.set("service-worker-allowed", "/field/");
      send(res, "text/javascript; charset=utf-8", built.sw);
    }, next),
  );
  router.get("/app.css", (_req, res) => send(res, "text/css; charset=utf-8", file("app.css")));
  router.get("/manifest.webmanifest", (_req, res) => send(res, "application/manifest+json", MANIFEST));
  router.get("/icon.svg", (_req, res) => send(res, "image/svg+xml", file("icon.svg")));
  router.get("/icon-192.png", (_req, res) => send(res, "image/png", file("icon-192.png")));
  router.get("/icon-512.png", (_req, res) => send(res, "image/png", file("icon-512.png")));
  return router;
}
