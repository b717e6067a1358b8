import { EvidenceMediaTypeError } from "./errors";

/**
 * The media types a cooperative may upload as evidence, and the checks that the bytes are what
 * they claim: magic numbers for binary formats, UTF-8 text without control characters for the
 * text formats. Refusing control characters also guarantees no evidence file starts with byte
 * 0x12, which keeps the chain's bytes32 digest unambiguous (see `chainDigest.ts`).
 */
export const EVIDENCE_MEDIA_TYPES = [
  "image/jpeg",
  "image/png",
  "image/webp",
  "application/pdf",
  "application/json",
  "application/geo+json",
  "text/csv",
] as const;

export type EvidenceMediaType = (typeof EVIDENCE_MEDIA_TYPES)[number];

export type TextMediaType = Extract<EvidenceMediaType, "application/json" | "application/geo+json" | "text/csv">;
export type ImageMediaType = Extract<EvidenceMediaType, "image/jpeg" | "image/png" | "image/webp">;

export function isImageMediaType(type: EvidenceMediaType): type is ImageMediaType {
  return type.startsWith("image/");
}

export function isTextMediaType(type: EvidenceMediaType): type is TextMediaType {
  return type === "application/json" || type === "application/geo+json" || type === "text/csv";
}

/**
 * Normalises a declared media type (`Text/CSV; charset=utf-8` -> `text/csv`) and checks it is
 * allowed. A charset other than UTF-8 is refused: text evidence is stored as UTF-8 only.
 *
 * @throws {EvidenceMediaTypeError}
 */
export function parseEvidenceMediaType(declared: string, allowed: readonly EvidenceMediaType[] = EVIDENCE_MEDIA_TYPES): EvidenceMediaType {
  const [essence = "", ...parameters] = declared.split(";").map((part) => part.trim().toLowerCase());
  const type = allowed.find((candidate) => candidate === essence);
  if (!type) throw new EvidenceMediaTypeError({ declared, reason: "this media type is not accepted as evidence", allowed });
  for (const parameter of parameters) {
    const [name, value = ""] = parameter.split("=").map((part) => part.trim().replace(/^"|"$/g, ""));
    if (name === "charset" && value !== "utf-8" && value !== "utf8") {
      throw new EvidenceMediaTypeError({ declared, reason: "text evidence must be UTF-8", allowed });
    }
  }
  return type;
}

/** What a file's first bytes say it is, for the formats a phone or an office might produce. */
export function sniffMediaType(head: Uint8Array): string | undefined {
  const ascii = (offset: number, text: string) => text.split("").every((char, i) => head[offset + i] === char.charCodeAt(0));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (ascii(0, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "image/webp";
  if (ascii(0, "%PDF-")) return "application/pdf";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "image/gif";
  if (ascii(4, "ftypheic") || ascii(4, "ftypheix") || ascii(4, "ftypmif1") || ascii(4, "ftyphevc")) return "image/heic";
  if (ascii(4, "ftyp")) return "video/mp4";
  if (ascii(0, "II*\0") || ascii(0, "MM\0*")) return "image/tiff";
  if (ascii(0, "PK\x03\x04")) return "application/zip (or an Office document)";
  if (head[0] === 0x1f && head[1] === 0x8b) return "application/gzip";
  if (ascii(0, "\xd0\xcf\x11\xe0")) return "an old Microsoft Office document";
  if (ascii(0, "\x7fELF") || ascii(0, "MZ")) return "an executable";
  return undefined;
}

/** Bytes needed to sniff every format above. */
export const SNIFF_BYTES = 16;

/**
 * Refuses binary evidence whose magic number contradicts the declared type. Text types have no
 * magic number (a CSV may well start with "MZ"); `TextEvidenceChecker` checks their content.
 *
 * @throws {EvidenceMediaTypeError}
 */
export function checkMagicNumber(declared: EvidenceMediaType, head: Uint8Array): void {
  if (isTextMediaType(declared)) return;
  const detected = sniffMediaType(head);
  if (detected !== declared) {
    throw new EvidenceMediaTypeError({ declared, reason: `the bytes do not start with the ${declared} signature`, detected });
  }
}

const CONTROL_CHARACTER = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Checks text evidence as it streams in: valid UTF-8, no control characters but tab, LF and CR,
 * and for JSON the right first character. Feed it every chunk, then call `end()`.
 */
export class TextEvidenceChecker {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  private readonly head = new Uint8Array(SNIFF_BYTES);
  private headLength = 0;
  private offset = 0;
  private seenText = false;
  private firstCharacter: string | undefined;

  constructor(private readonly declared: TextMediaType) {}

  /** @throws {EvidenceMediaTypeError} */
  push(chunk: Uint8Array): void {
    if (this.headLength < SNIFF_BYTES) {
      const take = chunk.subarray(0, SNIFF_BYTES - this.headLength);
      this.head.set(take, this.headLength);
      this.headLength += take.length;
    }
    this.check(this.decode(chunk, true));
    this.offset += chunk.length;
  }

  /** @throws {EvidenceMediaTypeError} */
  end(): void {
    this.check(this.decode(new Uint8Array(0), false));
    if (this.declared !== "text/csv" && this.firstCharacter === undefined) {
      throw this.refuse("the file is empty or only whitespace");
    }
  }

  private decode(chunk: Uint8Array, stream: boolean): string {
    try {
      return this.decoder.decode(chunk, { stream });
    } catch {
      throw this.refuse(`the bytes are not valid UTF-8 (near byte ${this.offset})`);
    }
  }

  private check(text: string): void {
    const control = CONTROL_CHARACTER.exec(text);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase();
      throw this.refuse(`text contains the control character U+${code}`);
    }
    if (text.length === 0 || this.firstCharacter !== undefined) return;
    const withoutBom = this.seenText ? text : text.replace(/^\ufeff/, "");
    this.seenText = true;
    const first = withoutBom.trimStart()[0];
    if (first === undefined) return;
    this.firstCharacter = first;
    const expected = this.declared === "application/geo+json" ? ["{"] : this.declared === "application/json" ? ["{", "["] : undefined;
    if (expected && !expected.includes(first)) {
      throw this.refuse(`JSON evidence must start with ${expected.join(" or ")}, not ${JSON.stringify(first)}`);
    }
  }

  private refuse(reason: string): EvidenceMediaTypeError {
    return new EvidenceMediaTypeError({ declared: this.declared, reason, detected: sniffMediaType(this.head.subarray(0, this.headLength)) });
  }
}

const GEOJSON_TYPES = new Set(["FeatureCollection", "Feature", "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"]);

/**
 * Parses JSON and GeoJSON evidence in full: a file that does not parse is not evidence anyone can
 * read. GeoJSON must be an object whose `type` is one of RFC 7946's.
 *
 * @throws {EvidenceMediaTypeError}
 */
export function checkJsonDocument(declared: "application/json" | "application/geo+json", bytes: Uint8Array): void {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8").replace(/^\ufeff/, ""));
  } catch (error) {
    throw new EvidenceMediaTypeError({ declared, reason: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
  }
  if (declared === "application/geo+json") {
    const type = typeof document === "object" && document !== null ? (document as { type?: unknown }).type : undefined;
    if (typeof type !== "string" || !GEOJSON_TYPES.has(type)) {
      throw new EvidenceMediaTypeError({ declared, reason: `GeoJSON needs a "type" of ${[...GEOJSON_TYPES].join(", ")}` });
    }
  }
}
