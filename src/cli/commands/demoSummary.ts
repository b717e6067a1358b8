import type { DemoRecord } from "../../demo/seedDemo";
import { lotPageUrl, qrTerminal } from "../../web/qr";

/**
 * What `firstmile start` prints about the demo story: where its pages are, and the chocolate bar's
 * QR code drawn for a terminal. The drawing is only for a terminal: piped to a file or a log
 * collector it is a screenful of block characters and colour codes that no one can scan.
 */
export async function demoSummary(record: DemoRecord, options: { seeded: boolean; dataDir: string; terminal: boolean }): Promise<string[]> {
  const lines = [
    "",
    options.seeded ? `demo      seeded in ${record.seed_seconds} s (${options.dataDir}/demo.json)` : `demo      seeded before (${options.dataDir}/demo.json)`,
    `  chocolate bar  ${record.chocolate_page_url}`,
    `  tyre batch     ${record.tyre_page_url}`,
    `  QR codes       ${record.chocolate_page_url}/qr.svg, ${record.tyre_page_url}/qr.png`,
  ];
  if (record.eudr) {
    lines.push(
      `  forest loss    ${lotPageUrl(record.public_url, { lotId: record.eudr.heldBack.lotId })} (its plot lost forest after 2020: no EUDR claim, kept out of the export)`,
      `  EU DDS         npm run firstmile -- dds --lot ${record.products.chocolate.lotId} --member ${record.members.brand} --out dds/`,
    );
  }
  if (options.terminal) lines.push(await qrTerminal(record.chocolate_page_url));
  return lines;
}
