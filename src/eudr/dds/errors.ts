import { BaseError } from "../../errors";

/** A plot or delivery the statement cannot vouch for, and why. */
export type DdsGap = {
  lotId: string;
  /** The plot's id in this gateway, or null when the origin is no plot of this gateway. */
  plotId: string | null;
  origin: string | null;
  reason: "no-claim" | "plot-not-held-here" | "no-origin";
};

/**
 * The lot's ancestry has deliveries without the EUDR claim (or whose plot this gateway does not
 * hold, so it cannot give the plot's geolocation): no statement unless a partial one is asked for.
 */
export class DdsIncompleteError extends BaseError {
  override name = "DdsIncompleteError";
  readonly gaps: readonly DdsGap[];
  constructor(lotId: string, gaps: readonly DdsGap[]) {
    const lots = [...new Set(gaps.map((gap) => gap.lotId))];
    const plots = [...new Set(gaps.map((gap) => gap.plotId ?? gap.origin ?? "(none)"))];
    super(`lot ${lotId} cannot get a complete due diligence statement: ${lots.length} deliveries from ${plots.length} plots lack the EUDR claim or a geolocation here (lots ${lots.slice(0, 10).join(", ")}${lots.length > 10 ? ", ..." : ""})`, {
      details: "every plot in the lot's ancestry must carry the claim (\"No forest loss detected since 31 Dec 2020\"); ask for a partial statement to file one anyway",
    });
    this.gaps = gaps;
  }
}

/** The lot does not exist, or the caller's member does not hold it. */
export class DdsLotNotFoundError extends BaseError {
  override name = "DdsLotNotFoundError";
}

/** The network has no deforestation-free plot scheme registered (no attestation registry). */
export class DdsNoSchemeError extends BaseError {
  override name = "DdsNoSchemeError";
}
