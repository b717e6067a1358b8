import fs from "node:fs";
import jsQR from "jsqr";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
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
  /**
   * `url` in a page at `viewport`, phone-sized by default, as on a phone that never saw it: no
   * cookies, nothing cached. `close()` hands the page back, and the next `open` with the same
   * language, scripts and CSP setting navigates it again, its cache and cookies cleared and its
   * viewport and font size set first: a new context costs Chromium about a second of CPU (a
   * profile and a renderer process), a navigation a fraction of it. A check reads and navigates
   * the page; it leaves its other settings (media, network conditions) as it found them.
   */
  open(url: string, options?: OpenOptions): Promise<OpenedPage>;
  close(): Promise<void>;
};

export type OpenOptions = {
  viewport?: { width: number; height: number };
  /** Sent as the browser's `Accept-Language` (and `navigator.language`). */
  locale?: string;
  /** Run the page's scripts (on by default, so an injected script would run and be caught). */
  javaScriptEnabled?: boolean;
  /** Ignore the page's Content-Security-Policy: only to inject a checker such as axe-core. */
  bypassCSP?: boolean;
  /** The browser's default font size in px (16 by default): 32 is a phone's text at 200 %. */
  defaultFontSize?: number;
};

export type OpenedPage = {
  page: Page;
  context: BrowserContext;
  /** HTTP status of the main document. */
  status: number;
  /** Bytes of the main document's body as sent on the wire (before decoding any compression). */
  transferBytes: number;
  /** Hands the page back for the next `open` with the same language, scripts and CSP setting. */
  close(): Promise<void>;
};

/** A page with its own context, kept for the opens with the same context options; `viewport` and `fontSize` are what it is set to now. */
type Tab = { context: BrowserContext; page: Page; cdp: CDPSession; busy: boolean; viewport: { width: number; height: number }; fontSize: number };

/** Chromium's default font sizes in px: the standard one and the fixed-width one (`<code>`, `<pre>`). */
const DEFAULT_FONT_SIZE = 16;
const fixedFontSize = (standard: number) => Math.round(standard * 0.8125);

/**
 * Launches Chromium headless (no sandbox: CI runs as root; no GPU process work: nothing here is
 * drawn on a GPU, and screenshots and PDFs are rendered in software either way).
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = findChromium();
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"], headless: true });
  const tabs = new Map<string, Tab[]>();

  async function newTab(options: OpenOptions, viewport: Tab["viewport"]): Promise<Tab> {
    const context = await browser.newContext({
      viewport,
      locale: options.locale,
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      bypassCSP: options.bypassCSP ?? false,
    });
    const page = await context.newPage();
    return { context, page, cdp: await context.newCDPSession(page), busy: false, viewport, fontSize: DEFAULT_FONT_SIZE };
  }

  /**
   * A free tab for `options`, at its viewport and font size (the page's own settings, set as the
   * context would set them): a used one forgets what it saw (the HTTP cache, cookies, the last
   * origin's storage). The context's settings (language, scripts, CSP) make a tab of their own.
   */
  async function tabFor(options: OpenOptions): Promise<Tab> {
    const viewport = options.viewport ?? PHONE_VIEWPORT;
    const fontSize = options.defaultFontSize ?? DEFAULT_FONT_SIZE;
    const key = JSON.stringify([options.locale ?? null, options.javaScriptEnabled ?? true, options.bypassCSP ?? false]);
    const kept = (tabs.get(key) ?? []).filter((tab) => !tab.page.isClosed());
    tabs.set(key, kept);
    let tab = kept.find((candidate) => !candidate.busy);
    if (!tab) {
      tab = await newTab(options, viewport);
      kept.push(tab);
    } else {
      const origin = new URL(tab.page.url()).origin;
      await Promise.all([
        tab.cdp.send("Network.clearBrowserCache"),
        tab.cdp.send("Network.clearBrowserCookies"),
        origin.startsWith("http") ? tab.cdp.send("Storage.clearDataForOrigin", { origin, storageTypes: "local_storage,indexeddb,service_workers,cache_storage" }) : undefined,
      ]);
    }
    if (tab.viewport.width !== viewport.width || tab.viewport.height !== viewport.height) {
      await tab.page.setViewportSize(viewport);
      tab.viewport = viewport;
    }
    if (tab.fontSize !== fontSize) {
      // What a phone's font size setting changes: the default size every rem and % follows.
      await tab.cdp.send("Page.setFontSizes", { fontSizes: { standard: fontSize, fixed: fixedFontSize(fontSize) } });
      tab.fontSize = fontSize;
    }
    return tab;
  }

  return {
    browser,
    executablePath,
    async open(url, options = {}) {
      const tab = await tabFor(options);
      tab.busy = true;
      try {
        const response = await tab.page.goto(url, { waitUntil: "load" });
        if (!response) throw new Error(`no response for ${url}`);
        return {
          page: tab.page,
          context: tab.context,
          status: response.status(),
          transferBytes: await documentTransferBytes(response),
          close: async () => {
            tab.busy = false;
          },
        };
      } catch (error) {
        tab.busy = false;
        throw error;
      }
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

/**
 * The laid-out document's size in CSS px: what a full-page screenshot would measure (Playwright
 * sizes one by these same properties), without painting and encoding every pixel of it.
 */
export function fullPageSize(page: Page): Promise<{ width: number; height: number }> {
  return page.evaluate(() => {
    const [body, root] = [document.body, document.documentElement];
    return {
      width: Math.max(body.scrollWidth, root.scrollWidth, body.offsetWidth, root.offsetWidth, body.clientWidth, root.clientWidth),
      height: Math.max(body.scrollHeight, root.scrollHeight, body.offsetHeight, root.offsetHeight, body.clientHeight, root.clientHeight),
    };
  });
}

/** How wide the laid-out document is in CSS px (wider than the viewport means horizontal scrolling). */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/** Elements whose box reaches past the viewport's sides, or whose content is wider than their box (text cut off or scrolling). */
export function horizontalOverflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    for (const element of Array.from(document.body.querySelectorAll("*"))) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const name = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""}${element.className && typeof element.className === "string" ? `.${element.className.split(" ")[0]}` : ""}`;
      if (box.right > width + 0.5 || box.left < -0.5) found.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
      else if (element instanceof HTMLElement && element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1) found.push(`${name} holds ${element.scrollWidth} px in ${element.clientWidth}`);
    }
    return found;
  });
}

/** axe-core's script, read once: it is added to each page state it checks. */
let axeSource: string | undefined;

/** axe-core's violations at the serious or critical level (the page must be opened with `bypassCSP`). */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  axeSource ??= fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.targets.join(", ")}`);
}

/** Opens every `<details>` on the page, as a reader tapping each summary would (one tap is tested on its own). */
export async function openAllDetails(page: Page): Promise<void> {
  await page.locator("details").evaluateAll((all) => all.forEach((details) => ((details as HTMLDetailsElement).open = true)));
}
