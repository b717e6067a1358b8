import http from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryBlockstore } from "blockstore-core/memory";
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";

/**
 * A stand-in for Kubo's RPC API (no Kubo can run here), speaking the calls the Kubo adapter uses:
 * add, cat, block/get, block/stat, pin/add, pin/rm, pin/ls. Blocks are made by the real UnixFS
 * importer with the parameters the request asks for, as Kubo would, so CIDs are real.
 *
 * `tamper` makes it lie: flip a byte in what `cat` or `block/get` returns, or chunk `add` with
 * 1 MiB chunks as a node with another import profile would.
 */
export type FakeKubo = {
  url: string;
  calls: string[];
  tamper: { cat: boolean; blocks: boolean; addChunkSize: number | undefined };
  pins: Set<string>;
  close(): Promise<void>;
};

export async function startFakeKubo(): Promise<FakeKubo> {
  const blocks = new MemoryBlockstore();
  const pins = new Set<string>();
  const calls: string[] = [];
  const tamper: FakeKubo["tamper"] = { cat: false, blocks: false, addChunkSize: undefined };

  const getBlock = async (cid: CID): Promise<Uint8Array | undefined> => {
    if (!(await blocks.has(cid))) return undefined;
    const parts: Uint8Array[] = [];
    for await (const part of blocks.get(cid)) parts.push(part);
    return Buffer.concat(parts);
  };
  const flip = (bytes: Uint8Array): Buffer => {
    const copy = Buffer.from(bytes);
    if (copy.length > 0) copy[copy.length >> 1] ^= 0x01;
    return copy;
  };

  const server = http.createServer((request, response) => {
    const body: Buffer[] = [];
    request.on("data", (chunk: Buffer) => body.push(chunk));
    request.on("end", () => {
      handle(request, Buffer.concat(body), response).catch((error: unknown) => kuboError(response, error instanceof Error ? error.message : String(error)));
    });
  });

  async function handle(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://kubo");
    const command = url.pathname.replace(/^\/api\/v0\//, "");
    const arg = url.searchParams.get("arg") ?? "";
    calls.push(command);
    if (request.method !== "POST") return kuboError(response, "405: method not allowed", 405);

    switch (command) {
      case "add": {
        const content = multipartFile(body, String(request.headers["content-type"]));
        const chunkSize = tamper.addChunkSize ?? Number(/^size-(\d+)$/.exec(url.searchParams.get("chunker") ?? "size-262144")?.[1]);
        const options = {
          cidVersion: Number(url.searchParams.get("cid-version") ?? 0) as 0 | 1,
          rawLeaves: url.searchParams.get("raw-leaves") === "true",
          chunker: fixedSize({ chunkSize }),
        };
        let root: CID | undefined;
        for await (const entry of importer([{ content }], blocks, options)) root = entry.cid;
        if (url.searchParams.get("pin") !== "false") pins.add(root!.toString());
        response.setHeader("Content-Type", "application/json");
        response.end(`${JSON.stringify({ Name: root!.toString(), Hash: root!.toString(), Size: String(content.length) })}\n`);
        return;
      }
      case "cat": {
        const cid = CID.parse(arg);
        if (!(await blocks.has(cid))) return kuboError(response, `block was not found locally (offline): ipld: could not find ${cid}`);
        const entry = await exporter(cid, blocks);
        if (entry.type !== "file" && entry.type !== "raw") return kuboError(response, "this dag node is not a file");
        const parts: Uint8Array[] = [];
        for await (const part of entry.content()) parts.push(part);
        const bytes = Buffer.concat(parts);
        response.end(tamper.cat ? flip(bytes) : bytes);
        return;
      }
      case "block/get": {
        const bytes = await getBlock(CID.parse(arg));
        if (!bytes) return kuboError(response, `ipld: could not find ${arg}`);
        response.end(tamper.blocks ? flip(bytes) : bytes);
        return;
      }
      case "block/stat": {
        const bytes = await getBlock(CID.parse(arg));
        if (!bytes) return kuboError(response, `block was not found locally (offline): ipld: could not find ${arg}`);
        response.setHeader("Content-Type", "application/json");
        response.end(JSON.stringify({ Key: arg, Size: bytes.length }));
        return;
      }
      case "pin/add": {
        if (!(await blocks.has(CID.parse(arg)))) return kuboError(response, `ipld: could not find ${arg}`);
        pins.add(CID.parse(arg).toString());
        response.setHeader("Content-Type", "application/json");
        response.end(`${JSON.stringify({ Pins: [arg] })}\n`);
        return;
      }
      case "pin/rm": {
        if (!pins.delete(CID.parse(arg).toString())) return kuboError(response, "not pinned or pinned indirectly");
        response.setHeader("Content-Type", "application/json");
        response.end(`${JSON.stringify({ Pins: [arg] })}\n`);
        return;
      }
      case "pin/ls": {
        response.setHeader("Content-Type", "application/json");
        response.end([...pins].map((cid) => `${JSON.stringify({ Cid: cid, Type: "recursive" })}\n`).join(""));
        return;
      }
      default:
        return kuboError(response, `404 page not found: ${command}`, 404);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    tamper,
    pins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Kubo's error shape: HTTP 500 with {Message, Code, Type}. */
function kuboError(response: http.ServerResponse, message: string, status = 500): void {
  response.statusCode = status;
  response.setHeader("Content-Type", "application/json");
  response.end(JSON.stringify({ Message: message, Code: 0, Type: "error" }));
}

/** The single file part of a multipart/form-data body. */
function multipartFile(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) throw new Error(`no multipart boundary in ${contentType}`);
  const start = body.indexOf("\r\n\r\n", body.indexOf(`--${boundary}`)) + 4;
  const end = body.lastIndexOf(`\r\n--${boundary}`);
  return body.subarray(start, end);
}
