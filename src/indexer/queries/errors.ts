import { NonRetryableError } from "../../errors/base";

/** A pagination cursor that this API did not hand out (or for another list). */
export class InvalidCursorError extends NonRetryableError {
  override name = "InvalidCursorError";
}

/** An ancestry or descendants walk that would follow more paths than the limit allows. */
export class DagTooLargeError extends NonRetryableError {
  override name = "DagTooLargeError";
  constructor(
    readonly lotId: bigint,
    readonly direction: "ancestors" | "descendants",
    readonly maxPathRows: number,
    readonly maxDepth: number,
  ) {
    super(`The ${direction} of lot ${lotId} have more than ${maxPathRows} paths within depth ${maxDepth}`, {
      metaMessages: ["Ask for a smaller maxDepth."],
    });
  }
}
