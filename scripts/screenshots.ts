/**
 * `npm run screenshots`: the first screen of the demo's chocolate bar and tyre batch pages, in
 * each language, at 360 and 412 px wide, as small PNGs in docs/screenshots/ (the README shows
 * them). Starts its own gateway on a fresh data dir and seeds the demo (about a minute), or uses
 * a running one: `npm run screenshots -- --demo-record ./.firstmile/demo.json`.
 *
 * Small: the top 800 px only, in at most 48 colours (an indexed PNG: text on a light page loses
 * nothing a reader sees). Needs Debian's chromium and, for real Thai and Vietnamese glyphs,
 * fonts-thai-tlwg and fonts-noto-core (as .ci/run installs them).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import UPNG from "upng-js";
import { loadConfig } from "../src/config";
import { seedDemo, type DemoRecord } from "../src/demo/seedDemo";
import { startGateway } from "../src/gateway/startGateway";
import { freePort } from "../test/helpers/ports";

const OUT = path.join(__dirname, "..", "docs", "screenshots");
const WIDTHS = [360, 412] as const;
const LANGS = ["en", "id", "th", "vi"] as const;
const HEIGHT = 800;
const COLOURS = 48;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const recordArg = args.indexOf("--demo-record");
  let stop = async () => {};
  let record: DemoRecord;
  if (recordArg >= 0) {
    record = JSON.parse(fs.readFileSync(args[recordArg + 1]!, "utf8")) as DemoRecord;
  } else {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-screenshots-"));
    const env = { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_PORT: String(await freePort()), FIRSTMILE_CHAIN_PORT: String(await freePort()), FIRSTMILE_LOG_LEVEL: "warn" };
    const config = loadConfig({ env, argv: [], cwd: dataDir });
    console.log(`starting a gateway on ${dataDir} and seeding the demo`);
    const gateway = await startGateway({ config, log: () => {} });
    stop = async () => {
      await gateway.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
    record = (await seedDemo({ gateway, file: config.paths.demoRecord })).record;
  }
  try {
    fs.mkdirSync(OUT, { recursive: true });
    const browser = await chromium.launch({ executablePath: process.env.FIRSTMILE_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"], headless: true });
    try {
      for (const [name, url] of [["chocolate", record.chocolate_page_url], ["tyre", record.tyre_page_url]] as const) {
        for (const lang of LANGS) {
          for (const width of WIDTHS) {
            const context = await browser.newContext({ viewport: { width, height: HEIGHT }, deviceScaleFactor: 1 });
            const page = await context.newPage();
            const response = await page.goto(`${url}?lang=${lang}`, { waitUntil: "load" });
            if (response?.status() !== 200) throw new Error(`${url}?lang=${lang} answered ${response?.status()}`);
            const shot = await page.screenshot({ type: "png", clip: { x: 0, y: 0, width, height: HEIGHT } });
            await context.close();
            const file = path.join(OUT, `${name}-${lang}-${width}.png`);
            fs.writeFileSync(file, fewColours(shot));
            console.log(`${path.relative(process.cwd(), file)}  ${fs.statSync(file).size} B`);
          }
        }
      }
    } finally {
      await browser.close();
    }
  } finally {
    await stop();
  }
}

/** The screenshot as an indexed PNG of at most COLOURS colours. */
function fewColours(png: Buffer): Buffer {
  const image = PNG.sync.read(png);
  const rgba = new Uint8Array(image.data).buffer;
  return Buffer.from(UPNG.encode([rgba], image.width, image.height, COLOURS));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
