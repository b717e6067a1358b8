import { DdsIncompleteError, DdsLotNotFoundError, DdsNoSchemeError } from "./errors";

/**
 * What an operator reads when a lot gets no statement: the reason and, for an incomplete ancestry,
 * each delivery and plot that lacks the claim; null for an error that is no refusal.
 */
export function ddsRefusalText(error: unknown): string | null {
  if (error instanceof DdsIncompleteError) {
    const lines = error.gaps.map((gap) => {
      const why =
        gap.reason === "no-claim"
          ? `plot ${gap.plotId} has no valid deforestation-free attestation (or the lot was minted without the claim)`
          : gap.reason === "plot-not-held-here"
            ? `origin ${gap.origin} is no plot of this gateway`
            : "minted without an origin";
      return `  lot ${gap.lotId}: ${why}`;
    });
    return `${error.shortMessage}\n${lines.join("\n")}\n(--allow-partial writes a statement marked partial)`;
  }
  if (error instanceof DdsLotNotFoundError || error instanceof DdsNoSchemeError) return error.shortMessage;
  return null;
}
