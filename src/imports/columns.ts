/**
 * The columns of each import, with the headers accepted for them: the canonical name (English,
 * `farmer_code` or `farmer code`), and the names a cooperative's own sheet uses in Indonesian,
 * Thai and Vietnamese. docs/import.md lists them; the templates are built from them.
 */
export const IMPORT_KINDS = ["farmers", "plots", "deliveries"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];
export const HEADER_LANGUAGES = ["en", "id", "th", "vi"] as const;
export type HeaderLanguage = (typeof HEADER_LANGUAGES)[number];

export type ColumnSpec = {
  name: string;
  required: boolean;
  description: string;
  example: string;
  /** Headers in other languages (the first is the template's). */
  headers: Record<Exclude<HeaderLanguage, "en">, string[]>;
};

const column = (name: string, required: boolean, description: string, example: string, id: string[], th: string[], vi: string[]): ColumnSpec => ({
  name,
  required,
  description,
  example,
  headers: { id, th, vi },
});

const FARMER_CODE = (required: boolean, description: string) =>
  column("farmer_code", required, description, "7K3Q-M9TX", ["kode petani", "kode kartu"], ["รหัสเกษตรกร"], ["mã nông dân"]);

export const COLUMNS: Record<ImportKind, readonly ColumnSpec[]> = {
  farmers: [
    FARMER_CODE(false, "the card code if cards are printed already (checked); empty: the gateway makes one, listed in the result"),
    column("name", true, "the farmer's name as on the card", "Siti Rahma", ["nama", "nama petani", "nama lengkap"], ["ชื่อ", "ชื่อ-นามสกุล"], ["họ tên", "tên"]),
    column("phone", false, "as dialled", "+62 812 3456 7890", ["telepon", "no hp", "nomor hp"], ["เบอร์โทร", "โทรศัพท์"], ["số điện thoại"]),
    column("national_id", false, "NIK, Thai ID or CCCD", "7208014107800001", ["nik", "nomor ktp"], ["เลขบัตรประชาชน"], ["cccd", "số cccd"]),
    column("gender", false, "female, male or other (perempuan/laki-laki, หญิง/ชาย, nữ/nam)", "female", ["jenis kelamin"], ["เพศ"], ["giới tính"]),
    column("birth_year", false, "four digits (a Thai Buddhist-era year is read as such)", "1978", ["tahun lahir"], ["ปีเกิด"], ["năm sinh"]),
    column("household_size", false, "people living in the household", "5", ["jumlah anggota keluarga", "jumlah anggota rumah tangga"], ["จำนวนสมาชิกในครัวเรือน"], ["số người trong hộ"]),
    column("female_headed_household", false, "yes or no (ya/tidak, ใช่/ไม่ใช่, có/không)", "no", ["kepala keluarga perempuan"], ["หัวหน้าครัวเรือนเป็นหญิง"], ["chủ hộ là nữ"]),
    column("village", false, "village or hamlet", "Tambarana", ["desa", "dusun"], ["หมู่บ้าน"], ["thôn", "làng"]),
    column("language", false, "en, id, th or vi: the language the farmer is addressed in", "id", ["bahasa"], ["ภาษา"], ["ngôn ngữ"]),
  ],
  plots: [
    FARMER_CODE(true, "the card code of the farmer the plot belongs to"),
    column("ref", false, "the cooperative's own plot number, unique among its plots (deliveries may name the plot by it)", "PSO-0042-1", ["nomor kebun", "kode kebun"], ["รหัสแปลง"], ["mã lô"]),
    column("latitude", false, "of a point plot (at most 4 ha), WGS 84 degrees with at least 6 decimals", "-1.390027", ["lintang"], ["ละติจูด"], ["vĩ độ"]),
    column("longitude", false, "of a point plot, WGS 84 degrees with at least 6 decimals", "120.750013", ["bujur"], ["ลองจิจูด"], ["kinh độ"]),
    column("area_ha", false, "the declared area in hectares (required for a point)", "1.5", ["luas ha", "luas (ha)", "luas"], ["พื้นที่ (เฮกตาร์)", "พื้นที่"], ["diện tích (ha)", "diện tích"]),
    column("polygon", false, "the outline instead of a point: a GeoJSON Polygon/MultiPolygon or WKT POLYGON, at least 6 decimals", "POLYGON ((120.750013 -1.390027, 120.750912 -1.390027, 120.750912 -1.389128, 120.750013 -1.390027))", ["poligon", "batas kebun"], ["รูปแปลง", "ขอบเขตแปลง"], ["ranh giới", "đa giác"]),
    column("country", true, "ISO 3166-1 alpha-2 code", "ID", ["negara"], ["ประเทศ"], ["quốc gia"]),
    column("province", true, "province", "Sulawesi Tengah", ["provinsi"], ["จังหวัด"], ["tỉnh"]),
    column("district", true, "district (kabupaten, amphoe)", "Poso", ["kabupaten", "kota"], ["อำเภอ"], ["huyện"]),
    column("tenure", false, "title, customary or none (sertifikat/adat/tidak ada, โฉนด/จารีต/ไม่มี, sổ đỏ/tập quán/không)", "customary", ["status lahan"], ["สิทธิ์ในที่ดิน"], ["quyền sử dụng đất"]),
    column("tenure_evidence_cid", false, "the land title as private evidence this cooperative stored (its CID)", "", ["bukti lahan"], ["หลักฐานสิทธิ์"], ["bằng chứng đất"]),
  ],
  deliveries: [
    FARMER_CODE(true, "the card code of the farmer who delivered"),
    column("plot", false, "the plot it came from: its id (p_...) or the cooperative's plot number; empty if the farmer has one plot", "PSO-0042-1", ["kebun"], ["แปลง"], ["lô"]),
    column("date", true, "the delivery date: 2026-06-15, 15/06/2026, or a spreadsheet date", "2026-06-15", ["tanggal"], ["วันที่"], ["ngày"]),
    column("form", true, "what was delivered: cocoa-wet-beans, cocoa-dry-beans, rubber-field-latex, rubber-cup-lump, rubber-unsmoked-sheet, rubber-rss (or the form id)", "cocoa-wet-beans", ["bentuk", "produk"], ["ชนิดผลผลิต"], ["dạng sản phẩm"]),
    column("kg", true, "weight on the scale, kilograms (up to 3 decimals)", "182.5", ["berat (kg)", "berat", "kg"], ["น้ำหนัก (กก.)", "น้ำหนัก"], ["khối lượng (kg)", "khối lượng"]),
    column("ticket", true, "the weigh ticket number", "KKLS-WT-2026-001", ["nomor tiket", "no tiket"], ["เลขที่ใบชั่ง"], ["số phiếu cân"]),
    column("moisture_pct", false, "moisture measured at the scale, percent", "55.2", ["kadar air", "kadar air (%)"], ["ความชื้น (%)", "ความชื้น"], ["độ ẩm (%)", "độ ẩm"]),
    column("drc_pct", false, "dry rubber content measured at the scale, percent", "54.0", ["kkk", "kkk (%)", "kadar karet kering"], ["เปอร์เซ็นต์ยางแห้ง", "drc"], ["drc", "hàm lượng cao su khô"]),
  ],
};

/** A header as compared: NFC, lower case, spaces and underscores alike, no trailing required mark. */
export function normaliseHeader(header: string): string {
  return header.normalize("NFC").toLowerCase().replace(/\*+\s*$/, "").replace(/[_\s]+/g, " ").trim();
}

/** Accepted header (normalised) -> canonical column name, for one kind. */
export function headerIndex(kind: ImportKind): Map<string, string> {
  const index = new Map<string, string>();
  for (const spec of COLUMNS[kind]) {
    for (const header of [spec.name, ...spec.headers.id, ...spec.headers.th, ...spec.headers.vi]) index.set(normaliseHeader(header), spec.name);
  }
  return index;
}

/** The template's header for a column in a language. */
export function templateHeader(spec: ColumnSpec, language: HeaderLanguage): string {
  return language === "en" ? spec.name : spec.headers[language][0]!;
}
