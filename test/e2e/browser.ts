import fs from "node:fs";
import jsQR from "jsqr";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { PNG } from "pngjs";

/**
 * The real-browser harness for the end-to-end tests: Debian's Chromium (installed by `.ci/run`
 * with apt) driven by playwright-core. Nothing here downloads a browser; a missing one fails the
 * suite with a message that says how to install it, never a silent skip.
 */

/** Where Debian and Ubuntu put the Chromium binary; `FIRSTMILE_CHROMIUM` overrides. */
export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"] as const;

/** The phone the consumer scans with: a cheap Android at 360 CSS px wide. */
export const PHONE_VIEWPORT = { width: 360, height: 740 } as const;

export class BrowserNotFoundError extends Error {
  override name = "BrowserNotFoundError";
  constructor(readonly searched: readonly string[]) {
    super(
      `no Chromium found (looked at ${searched.join(", ")}). Install Debian's package: ` +
        "apt-get install -y --no-install-recommends chromium (as .ci/run does), or set FIRSTMILE_CHROMIUM to the binary.",
    );
  }
}

/** The first Chromium binary that exists and is executable; throws `BrowserNotFoundError` otherwise. */
export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const searched = env.FIRSTMILE_CHROMIUM ? [env.FIRSTMILE_CHROMIUM] : [...CHROMIUM_CANDIDATES];
  for (const candidate of searched) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new BrowserNotFoundError(searched);
}

/** One launched browser; open pages through it and `close()` it in `after`. */
export type TestBrowser = {
  browser: Browser;
  executablePath: string;
  /** A new page in its own context (no shared cookies) at `viewport`, phone-sized by default. */
  open(url: string, options?: OpenOptions): Promise<OpenedPage>;
  close(): Promise<void>;
};

export type OpenOptions = {
  viewport?: { width: number; height: number };
  /** Sent as the browser's `Accept-Language` (and `navigator.language`). */
  locale?: string;
  /** Run the page's scripts (on by default, so an injected script would run and be caught). */
  javaScriptEnabled?: boolean;
};

export type OpenedPage = {
  page: Page;
  context: BrowserContext;
  /** HTTP status of the main document. */
  status: number;
  /** Bytes of the main document's body as sent on the wire (before decoding any compression). */
  transferBytes: number;
  close(): Promise<void>;
};

/** Launches Chromium headless (no sandbox: CI runs as root). */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = findChromium();
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], headless: true });
  return {
    browser,
    executablePath,
    async open(url, options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? PHONE_VIEWPORT,
        locale: options.locale,
        javaScriptEnabled: options.javaScriptEnabled ?? true,
      });
      const page = await context.newPage();
      const response = await page.goto(url, { waitUntil: "load" });
      if (!response) throw new Error(`no response for ${url}`);
      return {
        page,
        context,
        status: response.status(),
        transferBytes: await documentTransferBytes(response),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

/** The document's encoded body size, from Chromium's own accounting; the decoded body length if it has none. */
async function documentTransferBytes(response: NonNullable<Awaited<ReturnType<Page["goto"]>>>): Promise<number> {
  const sizes = await response.request().sizes();
  if (sizes.responseBodySize > 0) return sizes.responseBodySize;
  return (await response.body()).length;
}

/** A full-page PNG of `page` as it is laid out now. */
export async function screenshot(page: Page, options: { fullPage?: boolean } = {}): Promise<Buffer> {
  return page.screenshot({ fullPage: options.fullPage ?? true, type: "png" });
}

/** Width and height in pixels of a PNG, read from its header. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const { width, height } = PNG.sync.read(png);
  return { width, height };
}

/** The text of the QR code in a PNG, or null if none is found. */
export function decodeQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return jsQR(pixels, image.width, image.height)?.data ?? null;
}

/** How wide the laid-out document is in CSS px (wider than the viewport means horizontal scrolling). */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}
