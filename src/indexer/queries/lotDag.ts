import type { Queryable } from "../../db";
import { decodeCursor, encodeCursor, ID, INT } from "./cursor";
import { DagTooLargeError } from "./errors";
import { QUERY_LIMITS, pageSize } from "./limits";
import { getLot, LOT_JSON, lotViewFromJson, type LotView, type Page } from "./lots";

export type DagDirection = "ancestors" | "descendants";

/** One parent -> child link with the grams that flow along it. */
export type DagEdgeView = {
  parentId: string;
  childId: string;
  kind: "split" | "merged" | "transformed";
  /** Grams of the parent that went into the child (the parent's form). */
  parentGrams: string;
  /** Grams of the child that came from the parent (the child's form). */
  childGrams: string;
};

/**
 * A lot in the ancestry or the descendants of the root lot. Quantities are summed over every
 * path between the two (each path once): for an upstream lot U and a downstream lot D,
 * `upstreamShare` is the fraction of U that flowed into D and `downstreamShare` the fraction of D
 * that came from U (U is the node for ancestry, the root for descendants).
 */
export type DagNodeView = {
  lot: LotView;
  /** Shortest and longest path from the root, in operations. */
  depth: number;
  maxDepth: number;
  /** Distinct paths between the root and this lot. */
  paths: number;
  upstreamShare: string;
  downstreamShare: string;
  /** upstreamShare x the upstream lot's grams, downstreamShare x the downstream lot's grams (3 decimals). */
  upstreamGrams: string;
  downstreamGrams: string;
  /** Ancestry: this lot's edges to its children in the DAG; descendants: from its parents in the DAG. */
  edges: DagEdgeView[];
};

export type LotDagView = Page<DagNodeView> & {
  root: LotView;
  direction: DagDirection;
  /** Lots in the whole DAG (all pages) and paths walked. */
  total: number;
  pathRows: number;
  maxDepth: number;
};

export type GetLotDagParameters = {
  direction: DagDirection;
  maxDepth?: number | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  /** Lower the path limit (never above `QUERY_LIMITS.maxPathRows`). */
  maxPathRows?: number | undefined;
};

/**
 * The whole ancestry (every lot the root was made from) or the descendants (every lot made from
 * it) with recursive SQL over `lot_edges`: depth, path counts, and the quantity flowing along the
 * edges, paged by (depth, lot id). The walk is bounded by `maxDepth` (at most
 * `QUERY_LIMITS.maxDepth`) and by `QUERY_LIMITS.maxPathRows` paths. Null if the root is unknown.
 *
 * @throws {DagTooLargeError} when the walk would follow more paths than the limit.
 */
export async function getLotDag(q: Queryable, lotId: bigint, parameters: GetLotDagParameters): Promise<LotDagView | null> {
  const root = await getLot(q, lotId);
  if (!root) return null;
  const { direction } = parameters;
  const maxDepth = Math.min(Math.max(1, parameters.maxDepth ?? QUERY_LIMITS.maxDepth), QUERY_LIMITS.maxDepth);
  const limit = pageSize(parameters.limit);
  const maxPathRows = Math.min(parameters.maxPathRows ?? QUERY_LIMITS.maxPathRows, QUERY_LIMITS.maxPathRows);
  const list = `${direction}:${lotId}:${maxDepth}`;
  const [afterDepth, afterLot] = parameters.cursor ? decodeCursor(list, parameters.cursor, [INT, ID]).map(Number) : [-1, -1];
  const up = direction === "ancestors";
  // Walking up, the next lot is the edge's parent; walking down, its child.
  const [from, to] = up ? ["child_id", "parent_id"] : ["parent_id", "child_id"];
  const { rows } = await q.query(
    `with recursive walk(lot_id, depth, down_share, up_share) as (
       select $1::int8, 0, 1::numeric, 1::numeric
       union all
       select e.${to}, w.depth + 1,
              round(w.down_share * e.parent_grams / e.inputs_grams, 30),
              round(w.up_share * e.child_grams / e.outputs_grams, 30)
         from walk w join lot_edges e on e.${from} = w.lot_id
        where w.depth < $2
     ),
     capped as materialized (select * from walk limit $3),
     nodes as (
       select lot_id, min(depth) as depth, max(depth) as max_depth, count(*) as paths,
              sum(down_share) as down_share, sum(up_share) as up_share
         from capped where depth > 0 group by lot_id
     ),
     page as (
       select * from nodes where (depth, lot_id) > ($4::int, $5::int8) order by depth, lot_id limit $6
     ),
     page_edges as (
       select p.lot_id,
              json_agg(json_build_object(
                'parentId', e.parent_id::text, 'childId', e.child_id::text, 'kind', e.kind,
                'parentGrams', round(e.parent_grams * e.child_grams / e.outputs_grams, 3)::text,
                'childGrams', round(e.child_grams * e.parent_grams / e.inputs_grams, 3)::text
              ) order by e.parent_id, e.child_id) as edges
         from page p join lot_edges e on e.${to} = p.lot_id
        where e.${from} = $1 or exists (select 1 from nodes n where n.lot_id = e.${from})
        group by p.lot_id
     ),
     page_json as (
       select json_agg(json_build_object(
                'lot', ${LOT_JSON}, 'depth', p.depth, 'maxDepth', p.max_depth, 'paths', p.paths,
                'downShare', p.down_share::text, 'upShare', p.up_share::text, 'edges', pe.edges
              ) order by p.depth, p.lot_id) as nodes
         from page p join lots l on l.lot_id = p.lot_id left join forms f on f.form = l.form
         left join page_edges pe on pe.lot_id = p.lot_id
     )
     select (select count(*) from capped)::int as path_rows, (select count(*) from nodes)::int as total, (select nodes from page_json) as nodes`,
    [lotId.toString(), maxDepth, maxPathRows + 1, afterDepth, afterLot, limit + 1],
  );
  const first = rows[0]!;
  const pathRows = Number(first.path_rows);
  if (pathRows > maxPathRows) throw new DagTooLargeError(lotId, direction, maxPathRows, maxDepth);
  const nodes = ((first.nodes as NodeJson[] | null) ?? []).map((node) => nodeFromJson(node, root, up));
  const more = nodes.length > limit;
  const items = nodes.slice(0, limit);
  const last = items.at(-1);
  return {
    root,
    direction,
    total: Number(first.total),
    pathRows,
    maxDepth,
    items,
    nextCursor: more && last ? encodeCursor(list, [last.depth, last.lot.lotId]) : null,
  };
}

type NodeJson = {
  lot: Parameters<typeof lotViewFromJson>[0];
  depth: number;
  maxDepth: number;
  paths: number;
  downShare: string;
  upShare: string;
  edges: DagEdgeView[] | null;
};

function nodeFromJson(node: NodeJson, root: LotView, up: boolean): DagNodeView {
  const lot = lotViewFromJson(node.lot);
  const [upstream, downstream] = up ? [lot, root] : [root, lot];
  return {
    lot,
    depth: node.depth,
    maxDepth: node.maxDepth,
    paths: Number(node.paths),
    upstreamShare: trimDecimal(node.upShare, 12),
    downstreamShare: trimDecimal(node.downShare, 12),
    upstreamGrams: times(upstream.grams, node.upShare),
    downstreamGrams: times(downstream.grams, node.downShare),
    edges: (node.edges ?? []).map((edge) => ({
      ...edge,
      parentGrams: trimDecimal(edge.parentGrams, 3),
      childGrams: trimDecimal(edge.childGrams, 3),
    })),
  };
}

/** `grams x share`, exact decimal arithmetic, rounded half-up to 3 decimals. */
function times(grams: string, share: string): string {
  const [whole, fraction = ""] = share.split(".");
  const scale = fraction.length;
  const product = BigInt(grams) * BigInt(`${whole}${fraction}`);
  const divisor = 10n ** BigInt(scale);
  const milli = (product * 1000n * 2n + divisor) / (2n * divisor);
  const text = milli.toString().padStart(4, "0");
  return trimDecimal(`${text.slice(0, -3)}.${text.slice(-3)}`, 3);
}

/** At most `digits` decimals, rounded half-up, without trailing zeros. */
function trimDecimal(value: string, digits: number): string {
  const [whole, fraction = ""] = value.split(".");
  if (fraction.length <= digits) return fraction.replace(/0+$/, "") ? `${whole}.${fraction.replace(/0+$/, "")}` : whole!;
  const scaled = BigInt(`${whole}${fraction.slice(0, digits)}`) + (Number(fraction[digits]) >= 5 ? 1n : 0n);
  const text = scaled.toString().padStart(digits + 1, "0");
  const rounded = `${text.slice(0, -digits)}.${text.slice(-digits)}`.replace(/\.?0+$/, "");
  return rounded;
}
