import { expect } from "chai";
import { demoSummary } from "../../src/cli/commands/demoSummary";
import type { DemoRecord } from "../../src/demo/seedDemo";

const record = {
  chocolate_page_url: "http://127.0.0.1:8080/01/09506000134352/10/CHOC-2026-01",
  tyre_page_url: "http://127.0.0.1:8080/l/1000000005",
  seed_seconds: 31.4,
} as DemoRecord;

describe("demoSummary (what firstmile start prints about the demo)", () => {
  it("draws the chocolate bar's QR code only for a terminal", async () => {
    const toTerminal = (await demoSummary(record, { seeded: true, dataDir: "/data", terminal: true })).join("\n");
    const toFile = (await demoSummary(record, { seeded: true, dataDir: "/data", terminal: false })).join("\n");
    // The terminal drawing is made of half-block characters (and may carry ANSI colours).
    expect(toTerminal).to.match(/[\u2580\u2584\u2588]/);
    expect(toFile).to.not.match(/[\u2580\u2584\u2588]/);
    expect(toFile).to.not.match(/\u001b\[/);
    // Everything else is the same: the URLs and where the QR codes are served.
    for (const text of [toTerminal, toFile]) {
      expect(text).to.include("demo      seeded in 31.4 s (/data/demo.json)");
      expect(text).to.include(`  chocolate bar  ${record.chocolate_page_url}`);
      expect(text).to.include(`  tyre batch     ${record.tyre_page_url}`);
      expect(text).to.include(`  QR codes       ${record.chocolate_page_url}/qr.svg, ${record.tyre_page_url}/qr.png`);
    }
  });

  it("says when the demo was seeded by an earlier start", async () => {
    const lines = await demoSummary(record, { seeded: false, dataDir: "/data", terminal: false });
    expect(lines[1]).to.equal("demo      seeded before (/data/demo.json)");
  });

  it("says how to produce the chocolate bar's due diligence statement, and which delivery was held back, when the story ran its forest check", async () => {
    const withCheck = {
      ...record,
      public_url: "http://127.0.0.1:8080",
      members: { brand: "7" },
      products: { chocolate: { gtin: "09506000134352", batch: "CHOC-2026-01", lotId: "1000000042", name: "bar" } },
      eudr: { checks: [], heldBack: { lotId: "1000000041", plotId: "p_x" } },
    } as unknown as DemoRecord;
    const text = (await demoSummary(withCheck, { seeded: true, dataDir: "/data", terminal: false })).join("\n");
    expect(text).to.include("  EU DDS         npm run firstmile -- dds --lot 1000000042 --member 7 --out dds/");
    expect(text).to.include("  forest loss    http://127.0.0.1:8080/l/1000000041 (");
    const without = (await demoSummary(record, { seeded: true, dataDir: "/data", terminal: false })).join("\n");
    expect(without).to.not.include("EU DDS");
  });
});
