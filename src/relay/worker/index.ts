/** The relay worker: requests from the outbox to the chain and their outcomes back (see RelayWorker). */
export { RelayWorker } from "./relayWorker";
export type { RelayWorkerParameters, RelayWorkerStats } from "./context";
