import { digitalLinkUri } from "../../epcis/identifiers";
import { LOCALES } from "../i18n";

/** The GS1 link types a product's Digital Link answers with (GS1 Web Vocabulary). */
export const GS1_VOCABULARY = "https://gs1.org/voc/";
export const LINK_TYPES = ["pip", "traceability", "certificationInfo", "sustainabilityInfo"] as const;
export type LinkType = (typeof LINK_TYPES)[number];

export const LINKSET_MEDIA_TYPE = "application/linkset+json";

/** One target of a link (RFC 9264 §4.2.4: href and target attributes). */
export type LinkTarget = { href: string; title: string; type: string; hreflang?: string[] };

/** RFC 9264 JSON: one link context (the product's Digital Link URI) and its links by relation type URI. */
export type Linkset = { linkset: Array<{ anchor: string } & Record<string, LinkTarget[] | string>> };

export type ProductLinksParameters = { publicBase: string; gtin14: string; batch: string; lotId: string };

/**
 * Where each link type of a product leads: `pip` the product's page, `traceability` the EPCIS
 * document of its lot's history, `certificationInfo` its lot's attestations, `sustainabilityInfo`
 * the page's machine-readable twin (origin, deforestation and certification claims, checked on chain).
 */
export function productLinks({ publicBase, gtin14, batch, lotId }: ProductLinksParameters): Record<LinkType, LinkTarget> {
  const page = digitalLinkUri(publicBase, gtin14, batch);
  return {
    pip: { href: page, title: "Product information page", type: "text/html", hreflang: Object.keys(LOCALES) },
    traceability: { href: `${publicBase}/v1/lots/${lotId}/epcis`, title: "Traceability events (GS1 EPCIS 2.0)", type: "application/ld+json" },
    certificationInfo: { href: `${publicBase}/v1/lots/${lotId}/attestations`, title: "Certifications and their status", type: "application/json" },
    sustainabilityInfo: { href: `${page}?format=json`, title: "Origin and sustainability claims, verified on chain", type: "application/json" },
  };
}

/** The RFC 9264 linkset of a product (its anchor is the canonical Digital Link URI, GTIN-14). */
export function productLinkset(parameters: ProductLinksParameters): Linkset {
  const links = productLinks(parameters);
  const context: { anchor: string } & Record<string, LinkTarget[] | string> = { anchor: digitalLinkUri(parameters.publicBase, parameters.gtin14, parameters.batch) };
  for (const type of LINK_TYPES) context[`${GS1_VOCABULARY}${type}`] = [links[type]];
  context[`${GS1_VOCABULARY}defaultLink`] = [links.pip];
  return { linkset: [context] };
}

/** The `Link` header of a product's page (RFC 8288): its linkset and each GS1 link. */
export function productLinkHeader(parameters: ProductLinksParameters): string {
  const links = productLinks(parameters);
  const page = links.pip.href;
  return [
    `<${page}?linkType=linkset>; rel="linkset"; type="${LINKSET_MEDIA_TYPE}"`,
    ...LINK_TYPES.map((type) => `<${links[type].href}>; rel="${GS1_VOCABULARY}${type}"; type="${links[type].type}"`),
  ].join(", ");
}

/**
 * What `?linkType=` asks for: the linkset (`linkset`, `all`), one GS1 link type (`gs1:x` or its
 * URI), or the default (none, `gs1:defaultLink`, or a type this resolver does not have).
 */
export function requestedLinkType(value: string | undefined): "linkset" | LinkType | "default" {
  if (value === undefined) return "default";
  if (value === "linkset" || value === "all") return "linkset";
  const name = /^(?:gs1:|https:\/\/gs1\.org\/voc\/)([A-Za-z]+)$/.exec(value)?.[1];
  return name !== undefined && (LINK_TYPES as readonly string[]).includes(name) ? (name as LinkType) : "default";
}
