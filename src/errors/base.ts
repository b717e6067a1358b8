/**
 * The root of every error firstmile throws on purpose.
 *
 * Modelled on viem's `BaseError`: a one-line `shortMessage` for logs and HTTP bodies, optional
 * `details` (what exactly was wrong), the underlying `cause`, and `walk()` to find a cause of a
 * given class. Workers decide whether to retry by class (`RetryableError` or not), never by
 * parsing a message.
 */
export type BaseErrorParameters = {
  /** Extra lines that say what exactly was wrong (a key name, a file, a value). */
  details?: string | undefined;
  /** The error this one wraps. */
  cause?: unknown;
  /** Lines of advice for whoever reads the message ("set FIRSTMILE_X"). */
  metaMessages?: string[] | undefined;
};

export class BaseError extends Error {
  override name = "BaseError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly metaMessages: string[] | undefined;

  constructor(shortMessage: string, parameters: BaseErrorParameters = {}) {
    const lines = [shortMessage];
    if (parameters.metaMessages?.length) lines.push("", ...parameters.metaMessages);
    if (parameters.details) lines.push("", `Details: ${parameters.details}`);
    super(lines.join("\n"), parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.shortMessage = shortMessage;
    this.details = parameters.details;
    this.metaMessages = parameters.metaMessages;
  }

  /** The first error in the `cause` chain (this one included) for which `match` holds, else null. */
  walk(match: (error: unknown) => boolean): unknown {
    let current: unknown = this;
    const seen = new Set<unknown>();
    while (current !== undefined && current !== null && !seen.has(current)) {
      if (match(current)) return current;
      seen.add(current);
      current = (current as { cause?: unknown }).cause;
    }
    return null;
  }
}

/** A failure that may go away if the same thing is tried again later (network, lock, node down). */
export class RetryableError extends BaseError {
  override name = "RetryableError";
}

/**
 * A failure that will happen again on every retry (bad input, revert, wrong passphrase): the
 * worker records it and stops.
 */
export class NonRetryableError extends BaseError {
  override name = "NonRetryableError";
}

/** Whether a worker should try again after `error`: only errors that say so by class. */
export function isRetryable(error: unknown): boolean {
  return error instanceof RetryableError;
}
