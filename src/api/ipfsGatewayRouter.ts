import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { DAG_PB_CODEC, IDENTITY_CODE, RAW_CODEC, SHA2_256_CODE, parseAnyCid } from "../evidence/cid";
import { writeEvidenceCar } from "../evidence/car";
import type { BlockSource } from "../evidence/dag";
import {
  EvidenceCidMismatchError,
  EvidenceInvalidCidError,
  EvidenceNotAFileError,
  EvidenceNotFoundError,
  EvidenceStoreUnavailableError,
} from "../evidence/errors";

/**
 * The IPFS trustless gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/) over the
 * evidence store, so any IPFS client, node or pinning service can fetch and verify our blocks:
 *
 *   GET|HEAD /ipfs/{cid}?format=raw   or  Accept: application/vnd.ipld.raw   one block
 *   GET|HEAD /ipfs/{cid}?format=car   or  Accept: application/vnd.ipld.car   the file's DAG as CARv1
 *
 * CAR options: `dag-scope=all|entity|block` (entity = all for a file), `car-dups=y|n` or the
 * Accept parameter `dups`; always `version=1; order=dfs`. Strict mode: a request that asks for
 * neither format gets 400 (the gateway never returns deserialized files). Not supported:
 * `entity-bytes` ranges and paths below a CID (400), IPNS (not routed).
 *
 * Every block served has been verified against its CID by the store; a block that fails is never
 * sent (500 before the body starts, or the CAR stream is cut).
 */
const RAW = "application/vnd.ipld.raw";
const CAR = "application/vnd.ipld.car";
/** Immutable content: cache for the longest time browsers honour (~11 months). */
const IMMUTABLE = "public, max-age=29030400, immutable";

type Negotiated =
  | { format: "raw" }
  | { format: "car"; dups: boolean; scope: "all" | "entity" | "block" }
  | { error: 400 | 406; message: string };

export function createIpfsGatewayRouter(store: BlockSource): Router {
  const router = express.Router();
  router.get("/ipfs/:cid/*path", (_request, response) => {
    sendText(response, 400, "paths below a CID are not supported: evidence CIDs name files; request /ipfs/{cid}");
  });
  router.get("/ipfs/:cid", (request, response, next) => {
    serve(store, request, response).catch((error: unknown) => handleError(error, response, next));
  });
  return router;
}

async function serve(store: BlockSource, request: Request, response: Response): Promise<void> {
  const cid = parseAnyCid(String(request.params.cid));
  const negotiated = negotiate(request);
  if ("error" in negotiated) return sendText(response, negotiated.error, negotiated.message);
  const hash = cid.multihash.code;
  if (hash !== SHA2_256_CODE && hash !== IDENTITY_CODE) return sendText(response, 404, `${cid} is not stored here (only sha2-256 blocks are)`);

  const etag = negotiated.format === "raw" ? `"${cid}.raw"` : `"${cid}.car.${negotiated.scope}.dfs.${negotiated.dups ? "y" : "n"}"`;
  response.set({
    Etag: etag,
    "Cache-Control": IMMUTABLE,
    "X-Ipfs-Path": `/ipfs/${cid}`,
    "X-Ipfs-Roots": cid.toString(),
    "X-Content-Type-Options": "nosniff",
    Vary: "Accept",
  });
  if (typeof request.query.format !== "string") response.set("Content-Location", `${request.baseUrl}/ipfs/${cid}?format=${negotiated.format}`);
  if (request.get("If-None-Match")?.split(",").some((tag) => tag.trim() === etag)) {
    response.status(304).end();
    return;
  }

  if (negotiated.format === "raw") {
    const block = await store.getBlock(cid);
    response.status(200).set({ "Content-Type": RAW, "Content-Disposition": `attachment; filename="${cid}.bin"` });
    response.send(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    return;
  }

  const walkable = cid.code === RAW_CODEC || cid.code === DAG_PB_CODEC;
  if (!walkable && negotiated.scope !== "block") {
    return sendText(response, 400, `codec 0x${cid.code.toString(16)} cannot be walked here: ask for dag-scope=block or format=raw`);
  }
  // Read the root before the status line goes out: a missing root is a 404, not an empty CAR.
  const root = hash === IDENTITY_CODE ? undefined : await store.getBlock(cid);
  const source: BlockSource = { getBlock: (blockCid, rootCid) => (root && blockCid.equals(cid) ? Promise.resolve(root) : store.getBlock(blockCid, rootCid)) };
  response.status(200).set({
    "Content-Type": `${CAR}; version=1; order=dfs; dups=${negotiated.dups ? "y" : "n"}`,
    "Content-Disposition": `attachment; filename="${cid}.car"`,
  });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  await writeEvidenceCar(source, [cid], response, { duplicates: negotiated.dups, rootBlockOnly: negotiated.scope === "block" || !walkable });
}

function negotiate(request: Request): Negotiated {
  const query = request.query;
  const param = (name: string) => (typeof query[name] === "string" ? (query[name] as string) : undefined);
  if (param("entity-bytes") !== undefined) return { error: 400, message: "entity-bytes is not supported by this gateway; fetch the whole file's CAR" };

  let format: "raw" | "car" | undefined;
  let accepted: Record<string, string> = {};
  const formatParam = param("format");
  if (formatParam !== undefined) {
    if (formatParam !== "raw" && formatParam !== "car") return { error: 400, message: `format=${formatParam} is not served here: use format=raw or format=car` };
    format = formatParam;
    if (format === "car") accepted = acceptedTypes(request.get("Accept")).find((entry) => entry.type === CAR)?.params ?? {};
  } else {
    const acceptHeader = request.get("Accept");
    const match = acceptedTypes(acceptHeader).find((entry) => entry.type === RAW || entry.type === CAR);
    if (!match) {
      const message = "this is a trustless gateway: ask for application/vnd.ipld.raw or application/vnd.ipld.car (Accept header or ?format=raw|car)";
      return acceptHeader && !/^\s*\*\/\*\s*$/.test(acceptHeader) ? { error: 406, message } : { error: 400, message };
    }
    format = match.type === RAW ? "raw" : "car";
    accepted = match.params;
  }
  if (format === "raw") return { format };

  const notAcceptable = (message: string): Negotiated => ({ error: formatParam ? 400 : 406, message });
  const version = param("car-version") ?? accepted.version;
  if (version !== undefined && version !== "1") return notAcceptable(`CAR version ${version} is not served here: version=1 only`);
  const order = param("car-order") ?? accepted.order;
  if (order !== undefined && order !== "dfs" && order !== "unk") return notAcceptable(`CAR order ${order} is not served here: order=dfs`);
  const dups = param("car-dups") ?? accepted.dups ?? "n";
  if (dups !== "y" && dups !== "n") return notAcceptable(`car-dups=${dups} is not valid: y or n`);
  const scope = param("dag-scope") ?? "all";
  if (scope !== "all" && scope !== "entity" && scope !== "block") return { error: 400, message: `dag-scope=${scope} is not valid: all, entity or block` };
  return { format, dups: dups === "y", scope };
}

/** Accept header entries with q > 0, highest q first (stable for equal q, per RFC 9110 12.5.1). */
function acceptedTypes(header: string | undefined): { type: string; params: Record<string, string> }[] {
  if (!header) return [];
  return header
    .split(",")
    .map((entry, index) => {
      const [type = "", ...rest] = entry.split(";").map((part) => part.trim());
      const params: Record<string, string> = {};
      for (const part of rest) {
        const [name, value = ""] = part.split("=").map((piece) => piece.trim());
        if (name) params[name.toLowerCase()] = value.replace(/^"|"$/g, "");
      }
      const q = params.q === undefined ? 1 : Number(params.q);
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
}

function handleError(error: unknown, response: Response, next: NextFunction): void {
  if (response.headersSent) {
    // Mid-CAR: the stream has been cut, which a client detects as an incomplete CAR.
    response.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (error instanceof EvidenceInvalidCidError) return sendText(response, 400, error.shortMessage);
  if (error instanceof EvidenceNotFoundError) return sendText(response, 404, error.shortMessage);
  if (error instanceof EvidenceNotAFileError) return sendText(response, 400, `${error.shortMessage}: ask for format=raw or dag-scope=block`);
  if (error instanceof EvidenceCidMismatchError) return sendText(response, 500, `${error.shortMessage}; the block was not served`);
  if (error instanceof EvidenceStoreUnavailableError) return sendText(response, 503, error.shortMessage);
  next(error);
}

function sendText(response: Response, status: number, message: string): void {
  response.removeHeader("Etag");
  response.removeHeader("Cache-Control");
  response.status(status).type("text/plain; charset=utf-8").set("Cache-Control", "no-store").send(`${message}\n`);
}

