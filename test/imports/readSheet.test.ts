import { expect } from "chai";
import { ImportFileError, readSheet } from "../../src/imports";
import { firstInvalidUtf8, zipUnpackedSize } from "../../src/imports/readSheet";
import { csv, xlsx } from "./sheets";

const LIMITS = { maxBytes: 20 * 1024 * 1024 };
const refusal = async (bytes: Uint8Array, kind: "farmers" | "plots" | "deliveries" = "farmers", limits = LIMITS) => {
  const error = await readSheet(bytes, kind, limits).then(() => null, (e: Error) => e);
  expect(error).to.be.instanceOf(ImportFileError);
  return error as ImportFileError;
};

describe("imports: reading a spreadsheet", () => {
  it("reads a UTF-8 CSV with a byte order mark, and one with semicolons (a decimal-comma locale)", async () => {
    const sheet = await readSheet(csv([["name", "village"], ["Siti Rahma", "Tambarana"], ["Nguyễn Thị Lan", "Thôn 3"]], { bom: true }), "farmers", LIMITS);
    expect(sheet.format).to.equal("csv");
    expect(sheet.rows.map((row) => [row.row, row.cells.name!.text])).to.deep.equal([[2, "Siti Rahma"], [3, "Nguyễn Thị Lan"]]);
    const semicolons = await readSheet(csv([["name", "household_size"], ["Somchai", "4"]], { delimiter: ";" }), "farmers", LIMITS);
    expect(semicolons.rows[0]!.cells.household_size!.text).to.equal("4");
  });

  it("accepts the headers in Indonesian, Thai and Vietnamese", async () => {
    for (const header of [["nama", "desa", "jenis kelamin"], ["ชื่อ", "หมู่บ้าน", "เพศ"], ["Họ tên", "Thôn", "Giới tính"], ["Name *", "Village", "gender"]]) {
      const sheet = await readSheet(csv([header, ["A", "B", "female"]]), "farmers", LIMITS);
      expect(sheet.columns, header.join()).to.deep.equal(["name", "village", "gender"]);
    }
  });

  it("refuses a file that is not UTF-8, naming the line and what to do", async () => {
    const latin1 = Buffer.concat([Buffer.from("name,village\r\nSiti,Tambarana\r\nJos", "utf8"), Buffer.from([0xe9]), Buffer.from(",Poso\r\n")]);
    const error = await refusal(latin1);
    expect(error.code).to.equal("encoding");
    expect(error.message).to.contain("not UTF-8").and.contain("line 3").and.contain("CSV UTF-8");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("name\r\n", "utf16le")]);
    expect((await refusal(utf16)).message).to.contain("UTF-16");
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).to.equal(0); // an overlong NUL
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).to.equal(0); // a surrogate
    expect(firstInvalidUtf8(Buffer.from("ยางก้อนถ้วย"))).to.equal(-1);
  });

  it("reports a formula cell as its row's issue (XLSX and CSV), and reads the other rows", async () => {
    const book = await xlsx([["name", "household_size"], ["Siti", 4], ["Rahma", { formula: "2+3", result: 5 }]]);
    const sheet = await readSheet(book, "farmers", LIMITS);
    expect(sheet.format).to.equal("xlsx");
    expect(sheet.rows.map((row) => row.row)).to.deep.equal([2, 3]);
    expect(sheet.issues).to.deep.equal([{ row: 3, column: "household_size", reason: "a formula (=2+3), not a value: paste the values (Paste special > Values) and save again" }]);
    const text = await readSheet(csv([["name", "household_size"], ["Siti", "=SUM(A1:A3)"]]), "farmers", LIMITS);
    expect(text.issues[0]).to.deep.include({ row: 2, column: "household_size" });
  });

  it("reads dates and numbers typed by the spreadsheet", async () => {
    const book = await xlsx([["farmer_code", "date", "form", "kg", "ticket"], ["7K3Q-M9TX", new Date(Date.UTC(2026, 5, 15)), "cocoa-wet-beans", 182.5, "T-1"]]);
    const [row] = (await readSheet(book, "deliveries", LIMITS)).rows;
    expect(row!.cells.date!.date!.toISOString()).to.equal("2026-06-15T00:00:00.000Z");
    expect(row!.cells.kg!.number).to.equal(182.5);
  });

  it("refuses unknown, repeated and missing columns, naming them and the expected ones", async () => {
    const error = await refusal(csv([["nama", "name", "colour"], ["a", "b", "c"]]));
    expect(error.code).to.equal("headers");
    expect(error.message).to.contain('unknown column "colour"').and.contain('"nama" and "name" are both name');
    expect((await refusal(csv([["village"], ["x"]]))).message).to.contain("missing column name");
    expect((await refusal(csv([["farmer_code"], ["x"]]), "plots")).message).to.contain("missing columns country, province, district");
  });

  it("refuses a file over the size limit (a 30 MB file) before reading it", async () => {
    const big = Buffer.alloc(30 * 1024 * 1024, 0x61);
    const error = await refusal(big);
    expect(error.code).to.equal("too_large");
    expect(error.message).to.contain("30 MiB").and.contain("at most 20 MiB");
  });

  it("refuses an old .xls, a PDF, an empty file, too many rows and a workbook that unpacks to too much", async () => {
    expect((await refusal(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))).message).to.contain(".xls");
    expect((await refusal(Buffer.from("%PDF-1.7\n"))).message).to.contain("PDF");
    expect((await refusal(Buffer.alloc(0))).code).to.equal("empty");
    const rows = [["name"], ...Array.from({ length: 11 }, (_, i) => [`farmer ${i}`])];
    expect((await refusal(csv(rows), "farmers", { ...LIMITS, maxRows: 10 } as never)).code).to.equal("too_many_rows");
    const book = await xlsx([["name"], ["Siti"]]);
    expect(zipUnpackedSize(book)).to.be.greaterThan(book.length);
    const bomb = await refusal(book, "farmers", { ...LIMITS, maxUnpackedBytes: 1_000 } as never);
    expect(bomb.message).to.contain("unpacks to");
    expect((await refusal(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100)]))).message).to.contain("damaged");
  });

  it("refuses a CSV row with more cells than the header has columns (an unquoted comma)", async () => {
    const sheet = await readSheet(Buffer.from("name,village\r\nSiti,Tambarana,Poso\r\n"), "farmers", LIMITS);
    expect(sheet.issues[0]!.reason).to.contain("a delimiter inside a value needs quotes");
  });
});
