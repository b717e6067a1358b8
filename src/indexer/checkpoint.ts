/**
 * A position in the chain's event order as one fixed-width string, so that order is a string
 * compare (as Ponder's `utils/checkpoint.ts`): 16 digits of block number, then 8 digits of log
 * index within the block. `LOG_INDEX_BLOCK_DONE` as the log index means "the whole block".
 *
 *   0000000000000123 00000004   ->  "000000000000012300000004"
 */
export type Checkpoint = string;

export const BLOCK_DIGITS = 16;
export const LOG_INDEX_DIGITS = 8;
/** The largest log index: a checkpoint with it covers every log of its block. */
export const LOG_INDEX_BLOCK_DONE = 10 ** LOG_INDEX_DIGITS - 1;

const PATTERN = new RegExp(`^\\d{${BLOCK_DIGITS + LOG_INDEX_DIGITS}}$`);

export type Position = { blockNumber: number; logIndex: number };

export function encodeCheckpoint({ blockNumber, logIndex }: Position): Checkpoint {
  if (!Number.isSafeInteger(blockNumber) || blockNumber < 0 || blockNumber >= 10 ** BLOCK_DIGITS) {
    throw new RangeError(`block number ${blockNumber} does not fit a checkpoint`);
  }
  if (!Number.isSafeInteger(logIndex) || logIndex < 0 || logIndex > LOG_INDEX_BLOCK_DONE) {
    throw new RangeError(`log index ${logIndex} does not fit a checkpoint`);
  }
  return String(blockNumber).padStart(BLOCK_DIGITS, "0") + String(logIndex).padStart(LOG_INDEX_DIGITS, "0");
}

export function decodeCheckpoint(checkpoint: Checkpoint): Position {
  if (!PATTERN.test(checkpoint)) throw new RangeError(`malformed checkpoint ${JSON.stringify(checkpoint)}`);
  return { blockNumber: Number(checkpoint.slice(0, BLOCK_DIGITS)), logIndex: Number(checkpoint.slice(BLOCK_DIGITS)) };
}

/** The checkpoint that covers every log up to and including block `blockNumber`. */
export function blockDone(blockNumber: number): Checkpoint {
  return encodeCheckpoint({ blockNumber, logIndex: LOG_INDEX_BLOCK_DONE });
}

/** The first block that may still hold logs after `checkpoint`. */
export function resumeBlock(checkpoint: Checkpoint): number {
  const { blockNumber, logIndex } = decodeCheckpoint(checkpoint);
  return logIndex === LOG_INDEX_BLOCK_DONE ? blockNumber + 1 : blockNumber;
}
