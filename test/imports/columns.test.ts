import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { COLUMNS, HEADER_LANGUAGES, IMPORT_KINDS, csvTemplate, readSheet, xlsxTemplate } from "../../src/imports";

describe("imports: columns, templates and their documentation", () => {
  it("reads back every template, CSV and XLSX, in every language, as the kind's columns", async () => {
    for (const kind of IMPORT_KINDS) {
      for (const language of HEADER_LANGUAGES) {
        const expected = COLUMNS[kind].map((spec) => spec.name);
        expect((await readSheet(csvTemplate(kind, language), kind, { maxBytes: 1e6 })).columns, `${kind}.csv ${language}`).to.deep.equal(expected);
        expect((await readSheet(await xlsxTemplate(kind, language), kind, { maxBytes: 1e6 })).columns, `${kind}.xlsx ${language}`).to.deep.equal(expected);
      }
    }
  });

  it("documents every column and every header it accepts in docs/import.md", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../docs/import.md"), "utf8");
    for (const kind of IMPORT_KINDS) {
      for (const spec of COLUMNS[kind]) {
        expect(doc, spec.name).to.contain(`\`${spec.name}\``);
        for (const header of [...spec.headers.id, ...spec.headers.th, ...spec.headers.vi]) expect(doc, `${kind}.${spec.name}: ${header}`).to.contain(header);
      }
    }
  });
});
