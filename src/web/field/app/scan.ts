import jsQR from "jsqr";

/**
 * Reading a farmer's card QR code with the phone's camera: the browser's own BarcodeDetector
 * where it has one (Android Chrome), else jsQR on the camera's frames drawn to a canvas (every
 * browser). Answers the card code the QR holds.
 */
type Detector = { detect(source: CanvasImageSource): Promise<Array<{ rawValue: string }>> };

let native: Promise<Detector | null> | null = null;

/** The browser's QR detector, or null (then jsQR reads the frames). */
function nativeDetector(): Promise<Detector | null> {
  native ??= (async () => {
    const Barcode = (globalThis as { BarcodeDetector?: { new (options: { formats: string[] }): Detector; getSupportedFormats(): Promise<string[]> } }).BarcodeDetector;
    if (!Barcode) return null;
    try {
      return (await Barcode.getSupportedFormats()).includes("qr_code") ? new Barcode({ formats: ["qr_code"] }) : null;
    } catch {
      return null;
    }
  })();
  return native;
}

/** The text of a QR code in a frame of pixels (RGBA), or null. */
export function decodePixels(pixels: ImageData): string | null {
  return jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "dontInvert" })?.data ?? null;
}

/**
 * A card code in what a card's QR code holds: the code itself (`7K3Q-M9TX`), or a link or text
 * ending in it; normalised (upper case, no hyphen). Null when there is none.
 */
export function cardCodeOf(text: string): string | null {
  const found = /([0-9A-HJKMNP-TV-Z]{4})-?([0-9A-HJKMNP-TV-Z]{4})\s*$/i.exec(text.trim());
  return found ? `${found[1]}${found[2]}`.toUpperCase() : null;
}

let canvas: HTMLCanvasElement | null = null;

/** One frame of the video, read for a QR code: the text, or null. */
export async function readFrame(video: HTMLVideoElement): Promise<string | null> {
  if (video.readyState < 2 || video.videoWidth === 0) return null;
  const detector = await nativeDetector();
  if (detector) {
    const [first] = await detector.detect(video).catch(() => []);
    if (first) return first.rawValue;
  }
  canvas ??= document.createElement("canvas");
  // A small frame is enough for a card held close, and keeps jsQR quick on a slow phone.
  const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const context = canvas.getContext("2d", { willReadFrequently: true })!;
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  return decodePixels(context.getImageData(0, 0, canvas.width, canvas.height));
}

/**
 * Opens the back camera in `video` and reads frames until one holds a card code; answers it, or
 * null when stopped (`signal`). The camera is released either way.
 */
export async function scanCard(video: HTMLVideoElement, signal: AbortSignal): Promise<string | null> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  try {
    video.srcObject = stream;
    video.muted = true;
    video.setAttribute("playsinline", "");
    await video.play().catch(() => undefined);
    while (!signal.aborted) {
      const text = await readFrame(video);
      const code = text ? cardCodeOf(text) : null;
      if (code) return code;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return null;
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}
