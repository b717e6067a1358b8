import QRCode from "qrcode";

/**
 * A QR code as SVG markup, drawn from the modules in one path. The mask is fixed (any of the
 * eight is valid, ISO/IEC 18004 §7.8): choosing the best one scores all eight, a third of the QR
 * code's time on a slow phone; every reader reads any mask.
 */
export function qrSvg(text: string, maskPattern = 2): string {
  // One byte segment, named: left to itself the library searches every split of the text into
  // numeric, alphanumeric and byte segments (a shortest-path search, most of the QR code's time),
  // and for a receipt's text it finds the one byte segment anyway.
  const modules = QRCode.create([{ data: new TextEncoder().encode(text), mode: "byte" }], { errorCorrectionLevel: "M", maskPattern: maskPattern as 0 }).modules;
  const n = modules.size;
  let path = "";
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (!modules.get(row, col)) continue;
      // A run of dark modules in a row as one rectangle: a shorter path, quicker to draw.
      let end = col;
      while (end + 1 < n && modules.get(row, end + 1)) end++;
      path += `M${col + 1} ${row + 1}h${end - col + 1}v1h${-(end - col + 1)}z`;
      col = end;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n + 2} ${n + 2}" shape-rendering="crispEdges"><rect width="${n + 2}" height="${n + 2}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
