import type { JsonRpcProvider } from "ethers";
import { z } from "zod";
import type { Queryable } from "../db";
import { getLot } from "../indexer/queries";
import { Role } from "../membership/roles";
import { PlotRegistrationError, PlotTakenError, plotGeometrySchema, registerPlot } from "../origins";
import { ProductRegistrationError, ProductTakenError, checkGtin, registerProduct } from "../products";
import { lotPageUrl } from "../web/qr";
import { lotRegistryAt } from "../chain/contracts";
import { ApiError, badRequest, conflict, forbidden, notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreateOriginRoutesParameters = {
  db: Queryable;
  provider: JsonRpcProvider;
  /** The lot registry (also the membership registry): a member's roles are read from it. */
  registry: string;
  /** The public base URL of lot pages (known once the gateway listens). */
  publicBase: () => string;
};

const plotBody = z
  .object({
    farmerRef: z.string().trim().min(1).max(120).describe("the cooperative's own reference for the farmer (a member number, never a name)"),
    geometry: plotGeometrySchema.describe("GeoJSON Polygon or MultiPolygon, WGS 84 longitude/latitude"),
    country: z.string().regex(/^[A-Za-z]{2}$/, "country: ISO 3166-1 alpha-2, e.g. ID"),
    province: z.string().trim().min(1).max(120),
    district: z.string().trim().min(1).max(120),
  })
  .strict();

const productBody = z
  .object({
    gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, "gtin: 8, 12, 13 or 14 digits"),
    batch: z.string().min(1).max(20).describe("GS1 AI (10) batch/lot: up to 20 characters of the GS1 set"),
    lotId: z.union([z.string().regex(/^[1-9]\d{0,77}$/), z.number().int().positive()]).transform((value) => BigInt(value)),
    name: z.string().max(120).optional().describe("the trade item's name as printed, e.g. 'Sulawesi 70% dark chocolate 100 g'"),
  })
  .strict();

/**
 * Where lots come from and what they are sold as, for members: `POST /v1/plots` lets a
 * cooperative record a farmer's plot privately (the geometry and farmer reference stay in this
 * gateway; the answer is the commitment a delivery carries as its `origin`), `POST /v1/products`
 * lets a lot's custodian name it by GTIN and batch so a GS1 Digital Link resolves to it.
 */
export function createOriginRoutes({ db, provider, registry, publicBase }: CreateOriginRoutesParameters): AnyRoute[] {
  const members = lotRegistryAt(registry, provider);

  return [
    defineRoute({
      method: "post",
      path: "/v1/plots",
      summary: "register a farmer's plot privately (cooperatives) and get the commitment its deliveries carry as origin",
      auth: "member",
      body: plotBody,
      responses: {
        201: { description: "registered: commitment (bytes32 for a delivery's origin) and area in m²" },
        200: { description: "the same plot record was registered before: the same commitment" },
        403: { description: "the member is not an active cooperative" },
        409: { description: "another member registered this plot record" },
      },
      handler: async ({ body, memberId }) => {
        // The chain, not the read model: a cooperative added a block ago may register at once.
        const [member] = await members.getMember(memberId!);
        if (!member.active || (Number(member.roles) & Role.cooperative) === 0) {
          throw forbidden(`member ${memberId} is not an active cooperative: only cooperatives register their farmers' plots`);
        }
        try {
          const plot = await registerPlot(db, { memberId: memberId!, ...body });
          return { status: plot.created ? 201 : 200, body: { commitment: plot.commitment, areaM2: plot.areaM2 } };
        } catch (error) {
          if (error instanceof PlotTakenError) throw conflict(error.shortMessage);
          if (error instanceof PlotRegistrationError) throw badRequest(error.shortMessage);
          throw error;
        }
      },
    }),

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
