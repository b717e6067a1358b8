import fs from "node:fs";
import { chromium } from "playwright-core";
import { findChromium, PHONE_VIEWPORT } from "./test/e2e/browser";
import { qrSvg } from "./src/web/field/app/qr";
import QRCode from "qrcode";

async function main() {
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  const context = await browser.newContext({ viewport: PHONE_VIEWPORT, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const css = fs.readFileSync("src/web/field/static/app.css", "utf8");
  await page.setContent(`<html><head><style>${css}</style></head><body><div id="app"></div></body></html>`);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  const text = `firstmile:receipt:AB12-CD34:0x${"3f".repeat(32)}`;
  const svg = qrSvg(text);
  const m = QRCode.create([{ data: new TextEncoder().encode(text), mode: "byte" }], { errorCorrectionLevel: "M", maskPattern: 2 as 0 }).modules;
  const bits = Array.from({ length: m.size * m.size }, (_, i) => (m.data[i] ? 1 : 0));
  const results = await page.evaluate(async ({ svg, bits, n }) => {
    const app = document.getElementById("app")!;
    const body = (qr: string) => `<main><header class="bar"><h1>Kuitansi</h1><span class="net off">○</span></header><section class="receipt">${qr}<p class="code">Kode: <strong>AB12-CD34</strong></p><dl><dt>Petani</dt><dd>Bench Farmer</dd><dt>Bentuk</dt><dd>Kakao basah</dd><dt>Berat</dt><dd>35,0</dd><dt>Kadar air</dt><dd>55,0</dd><dt>Bayar</dt><dd>Rp 437.500,00</dd></dl><p class="muted">Dibayar · 3 Des 2026 12.00</p></section><nav class="stack"><button class="big primary">Selesai</button><div class="pair"><button class="big secondary">Cetak 58 mm</button><button class="big secondary">Cetak A6</button></div><button class="big secondary">Pengiriman baru</button></nav></main>`;
    const form = `<main><header class="bar"><h1>Pengiriman</h1></header><form class="stack">${Array.from({ length: 8 }, (_, i) => `<label class="field"><span>Field ${i}</span><input name="f${i}" value="12"></label>`).join("")}<button class="big primary">Catat</button></form></main>`;
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const out: Record<string, number[]> = {};
    const variants: Record<string, () => void> = {
      svg: () => { app.innerHTML = body(`<div class="qr">${svg}</div>`); },
      noqr: () => { app.innerHTML = body(`<div class="qr"></div>`); },
      canvas: () => {
        app.innerHTML = body(`<div class="qr"><canvas></canvas></div>`);
        const c = app.querySelector("canvas")!;
        const scale = 4, size = (n + 2) * scale;
        c.width = size; c.height = size; c.style.width = "100%"; c.style.display = "block";
        const g = c.getContext("2d")!;
        g.fillStyle = "#fff"; g.fillRect(0, 0, size, size); g.fillStyle = "#000";
        for (let r = 0; r < n; r++) for (let col = 0; col < n; col++) { if (!bits[r * n + col]) continue; let e = col; while (e + 1 < n && bits[r * n + e + 1]) e++; g.fillRect((col + 1) * scale, (r + 1) * scale, (e - col + 1) * scale, scale); col = e; }
      },
    };
    for (let round = 0; round < 12; round++) for (const [name, draw] of Object.entries(variants)) {
      app.innerHTML = form; await frame(); await new Promise((r) => setTimeout(r, 50));
      const t = performance.now(); draw(); await frame();
      (out[name] ??= []).push(performance.now() - t);
    }
    return out;
  }, { svg, bits, n: m.size });
  for (const [name, times] of Object.entries(results)) { const s = [...times].sort((a, b) => a - b); console.log(name, "median", s[s.length >> 1].toFixed(1), "max", s[s.length - 1].toFixed(1), "first", times[0].toFixed(1)); }
  await browser.close();
}
main();
