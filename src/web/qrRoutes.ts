import { createHash } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Queryable } from "../db";
import { lotExists } from "../indexer/queries";
import { checkGtin, findProduct } from "../products";
import { lotPageUrl, qrPng, qrSvg, type LotPageTarget, type QrFormat } from "./qr";

export type CreateQrRouterParameters = {
  db: Queryable;
  /** The public base URL the codes point at (known once the gateway listens). */
  publicBase: () => string;
};

/** A day: a lot's URL never changes, but the public base URL may be reconfigured. */
const CACHE_CONTROL = "public, max-age=86400";

/**
 * Public QR codes of lot pages: `GET /l/:lotId/qr.svg|qr.png` for any lot the read model knows,
 * `GET /01/:gtin/10/:batch/qr.svg|qr.png` for a named product (GS1 Digital Link). The code holds
 * the page's URL under the public base. An unknown lot or product, or a GTIN whose check digit is
 * wrong, is a 404 that says why; nothing is drawn for it.
 */
export function createQrRouter({ db, publicBase }: CreateQrRouterParameters): express.Router {
  const router = express.Router();

  router.get("/l/:lotId/qr.:format", answer(async (req) => {
    const format = formatOf(req.params.format);
    const lotId = String(req.params.lotId);
    if (!/^[1-9]\d{0,77}$/.test(lotId)) return notFound(`not a lot id: ${JSON.stringify(lotId.slice(0, 80))}`);
    if (!(await lotExists(db, BigInt(lotId)))) return notFound(`no lot ${lotId}`);
    return { format, target: { lotId } };
  }));

  router.get("/01/:gtin/10/:batch/qr.:format", answer(async (req) => {
    const format = formatOf(req.params.format);
    const gtin = checkGtin(String(req.params.gtin));
    if (!gtin.ok) return notFound(`GTIN ${String(req.params.gtin).slice(0, 20)}: ${gtin.reason}`);
    const batch = String(req.params.batch);
    const product = await findProduct(db, gtin.gtin14, batch);
    if (!product) return notFound(`no product GTIN ${gtin.gtin14} batch ${JSON.stringify(batch.slice(0, 20))}`);
    return { format, target: { gtin: product.gtin, batch: product.batch } };
  }));

  return router;

  function answer(resolve: (req: Request) => Promise<{ format: QrFormat | null; target: LotPageTarget } | NotFound>) {
    return (req: Request, res: Response, next: NextFunction) => {
      resolve(req)
        .then(async (found) => {
          if ("missing" in found) {
            res.status(404).set("Cache-Control", "public, max-age=60").json({ error: { code: "not_found", message: found.missing, details: null } });
            return;
          }
          if (!found.format) return next(); // qr.gif and the like: no such route
          const url = lotPageUrl(publicBase(), found.target);
          const etag = `"${createHash("sha256").update(`${found.format}\n${url}`).digest("base64url").slice(0, 27)}"`;
          res.set({ "Cache-Control": CACHE_CONTROL, ETag: etag, "X-Content-Type-Options": "nosniff", "X-Qr-Url": url });
          if (matches(req.get("if-none-match"), etag)) {
            res.status(304).end();
            return;
          }
          if (found.format === "svg") res.type("image/svg+xml").send(await qrSvg(url));
          else res.type("image/png").send(await qrPng(url));
        })
        .catch(next);
    };
  }
}

type NotFound = { missing: string };
const notFound = (missing: string): NotFound => ({ missing });

/** `If-None-Match` names this ETag (or `*`): the scanner's copy is current. */
function matches(header: string | undefined, etag: string): boolean {
  return header !== undefined && header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag || tag.trim() === "*");
}

function formatOf(text: string | string[] | undefined): QrFormat | null {
  return text === "svg" || text === "png" ? text : null;
}
