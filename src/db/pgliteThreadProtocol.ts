/** Messages between `pgliteInWorker.ts` (the gateway's thread) and `pgliteThread.ts` (PGlite's). */
export type ThreadRequest = { id: number } & (
  | { op: "open" }
  | { op: "query"; sql: string; params: readonly unknown[]; tx?: number | undefined }
  | { op: "exec"; sql: string; tx?: number | undefined }
  | { op: "batch"; statements: ReadonlyArray<{ sql: string; params?: readonly unknown[] | undefined; copyRows?: Uint8Array<ArrayBuffer> | undefined; expectRows?: number | undefined }> }
  | { op: "begin" }
  | { op: "commit" | "rollback"; tx: number }
  | { op: "listen"; channel: string; listener: number }
  | { op: "unlisten"; listener: number }
  | { op: "close" }
);

export type ThreadReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Record<string, unknown> }
  /** A notification for the listener of that id. */
  | { notify: number; payload: string };
