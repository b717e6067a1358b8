import { EvidenceMalformedError } from "./errors";
import type { StrippedImage } from "./jpegMetadata";

/**
 * Removes metadata chunks from a WebP (RIFF) file, leaving the image untouched.
 *
 * Kept: the image and the chunks that change how it renders (VP8, VP8L, VP8X, ALPH, ICCP, ANIM,
 * ANMF). Dropped: EXIF, XMP and any unknown chunk; the VP8X flags that announce EXIF and XMP are
 * cleared and the RIFF size rewritten. Bytes after the RIFF payload are dropped.
 */
const KEPT_CHUNKS = new Set(["VP8 ", "VP8L", "VP8X", "ALPH", "ICCP", "ANIM", "ANMF"]);
const VP8X_EXIF_FLAG = 0x08;
const VP8X_XMP_FLAG = 0x04;

export function stripWebpMetadata(input: Uint8Array): StrippedImage {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const malformed = (reason: string) => new EvidenceMalformedError({ mediaType: "image/webp", reason });
  if (bytes.length < 12 || bytes.toString("latin1", 0, 4) !== "RIFF" || bytes.toString("latin1", 8, 12) !== "WEBP") {
    throw malformed("no RIFF/WEBP header");
  }
  const riffEnd = 8 + bytes.readUInt32LE(4);
  if (riffEnd > bytes.length) throw malformed("the RIFF size runs past the end of the file");

  const kept: Buffer[] = [];
  const removed = new Set<string>();
  let pos = 12;
  while (pos < riffEnd) {
    if (pos + 8 > riffEnd) throw malformed(`truncated chunk header at byte ${pos}`);
    const fourcc = bytes.toString("latin1", pos, pos + 4);
    const size = bytes.readUInt32LE(pos + 4);
    const end = pos + 8 + size + (size % 2); // chunks are padded to an even length
    if (pos + 8 + size > riffEnd) throw malformed(`chunk ${JSON.stringify(fourcc)} runs past the end of the file`);
    if (KEPT_CHUNKS.has(fourcc)) {
      kept.push(Buffer.from(bytes.subarray(pos, Math.min(end, riffEnd)))); // a copy: VP8X flags are edited below
    } else {
      removed.add(fourcc === "EXIF" ? "Exif (location, device, time)" : fourcc === "XMP " ? "XMP" : `${fourcc.trim()} chunk`);
    }
    pos = end;
  }
  if (kept.length === 0) throw malformed("no image chunk");
  if (riffEnd < bytes.length) removed.add("data after the end of the image");

  const vp8x = kept.find((chunk) => chunk.toString("latin1", 0, 4) === "VP8X");
  if (vp8x && vp8x.length > 8) vp8x[8] = vp8x[8]! & ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG);

  const body = Buffer.concat(kept);
  const header = Buffer.alloc(12);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(4 + body.length, 4);
  header.write("WEBP", 8, "latin1");
  return { bytes: Buffer.concat([header, body]), removed: [...removed] };
}
