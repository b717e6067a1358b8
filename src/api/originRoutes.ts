import type { JsonRpcProvider } from "ethers";
import { z } from "zod";
import type { Queryable } from "../db";
import { getLot } from "../indexer/queries";
import type { DeliveryCapacity, PlotRegistry } from "../origins";
import { ProductRegistrationError, ProductTakenError, checkGtin, registerProduct } from "../products";
import { lotPageUrl } from "../web/qr";
import { cooperativeGuard } from "./cooperative";
import { createPlotRoutes } from "./plotRoutes";
import { ApiError, badRequest, conflict, forbidden, notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreateOriginRoutesParameters = {
  db: Queryable;
  provider: JsonRpcProvider;
  /** The lot registry (also the membership registry): a member's roles are read from it. */
  registry: string;
  /** The public base URL of lot pages (known once the gateway listens). */
  publicBase: () => string;
  /** The cooperatives' plots and their rules. */
  plots: PlotRegistry;
  /** The plot capacity rule (what a plot delivered this year). */
  capacity: DeliveryCapacity;
};

const productBody = z
  .object({
    gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, "gtin: 8, 12, 13 or 14 digits"),
    batch: z.string().min(1).max(20).describe("GS1 AI (10) batch/lot: up to 20 characters of the GS1 set"),
    lotId: z.union([z.string().regex(/^[1-9]\d{0,77}$/), z.number().int().positive()]).transform((value) => BigInt(value)),
    name: z.string().max(120).optional().describe("the trade item's name as printed, e.g. 'Sulawesi 70% dark chocolate 100 g'"),
  })
  .strict();

/**
 * Where lots come from and what they are sold as, for members: the plot routes (`/v1/plots`, see
 * plotRoutes.ts) let a cooperative record its farmers' plots privately (the geometry stays in this
 * gateway; a delivery carries the commitment as its `origin`), `POST /v1/products`
 * lets a lot's custodian name it by GTIN and batch so a GS1 Digital Link resolves to it.
 */
export function createOriginRoutes({ db, provider, registry, publicBase, plots, capacity }: CreateOriginRoutesParameters): AnyRoute[] {
  const requireCooperative = cooperativeGuard(registry, provider);

  return [
    ...createPlotRoutes({ plots, capacity, requireCooperative }),

    defineRoute({
      method: "post",
      path: "/v1/products",
      summary: "name a lot you hold as a trade item (GTIN) and batch, so its GS1 Digital Link resolves to the lot",
      auth: "member",
      body: productBody,
      responses: {
        201: { description: "named: gtin (14 digits), batch, lot id, name and the Digital Link page URL" },
        400: { description: "a GTIN whose check digit is wrong (the answer names the expected digit), or a batch outside the GS1 set" },
        403: { description: "the lot is held by another member" },
        404: { description: "no such lot in the read model" },
        409: { description: "this GTIN and batch already name another lot" },
      },
      handler: async ({ body, memberId }) => {
        const gtin = checkGtin(body.gtin);
        if (!gtin.ok) throw badRequest(`GTIN ${body.gtin}: ${gtin.reason}`);
        const lot = await getLot(db, body.lotId);
        if (!lot) throw notFound(`no lot ${body.lotId} (or the read model has not seen it yet)`);
        if (BigInt(lot.custodian.memberId) !== memberId) {
          throw forbidden(`lot ${body.lotId} is held by member ${lot.custodian.memberId}: only its custodian names it`);
        }
        if (lot.status === "consumed") throw new ApiError(409, "lot_consumed", `lot ${body.lotId} was consumed by a split, merge or transform: name the lot it became`);
        try {
          const product = await registerProduct(db, { gtin: gtin.gtin14, batch: body.batch, lotId: body.lotId, memberId: memberId!, name: body.name });
          return {
            status: 201,
            body: { gtin: product.gtin, batch: product.batch, lotId: product.lotId.toString(), name: product.name, url: lotPageUrl(publicBase(), product) },
          };
        } catch (error) {
          if (error instanceof ProductTakenError) throw conflict(error.shortMessage);
          if (error instanceof ProductRegistrationError) throw badRequest(error.shortMessage);
          throw error;
        }
      },
    }),
  ];
}
