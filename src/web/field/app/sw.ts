/**
 * The service worker: keeps the app shell (page, scripts, styles, manifest, icons) so the app opens
 * with no signal; the API is never cached (the queue lives in IndexedDB and is sent by the page).
 * The shell's version is its build hash, so a new build replaces the old cache.
 */
declare const VERSION: string;
type ExtendableEvent = Event & { waitUntil(promise: Promise<unknown>): void };
type FetchEvent = ExtendableEvent & { request: Request; respondWith(response: Promise<Response> | Response): void };
const worker = self as unknown as { addEventListener(type: string, listener: (event: any) => void): void; skipWaiting(): Promise<void>; clients: { claim(): Promise<void> }; registration: { scope: string } };

const SHELL = ["./", "./app.js", "./scan.js", "./app.css", "./manifest.webmanifest", "./icon.svg", "./icon-192.png", "./icon-512.png"];
const CACHE = `field-${VERSION}`;

worker.addEventListener("install", (event: ExtendableEvent) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => worker.skipWaiting()));
});

worker.addEventListener("activate", (event: ExtendableEvent) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("field-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener("fetch", (event: FetchEvent) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith(new URL(worker.registration.scope).pathname)) return;
  // The shell from the cache first (it works offline); the page itself without its hash or query.
  const key = url.pathname.endsWith("/") ? new URL("./", worker.registration.scope).href : url.href;
  event.respondWith(caches.open(CACHE).then(async (cache) => (await cache.match(key, { ignoreSearch: true })) ?? fetch(event.request)));
});
