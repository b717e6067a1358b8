/**
 * The V8 flags the gateway and the `firstmile` command run with, wherever they are started: the
 * npm scripts (`start`, `firstmile`, `demo:network`, and the benchmarks that run the gateway or the
 * indexer in their own process: `bench:indexer`, `bench:page`, `bench:field`), the production compose
 * file (`firstmile network besu-config`) and the benchmarks that start the command. A test checks
 * the npm scripts and the compose file.
 *
 * `--max-semi-space-size=64` (MB; V8's default is 16): the indexer allocates about 1.2 GB per
 * 100k events (decoded logs, rows, COPY text), most of it dead by the end of its batch. With the
 * default young generation V8 collected it about 100 times per 100k events, 6 to 7 ms each, copying
 * the batches in flight every time, and its collector threads took another 1.8 s of CPU beside the
 * indexer's two threads on a 2-core machine. With 64 MB, 100k events indexed in 4.3 to 4.5 s
 * instead of 5.0 to 5.2 s (PGlite, three interleaved runs each); a rebuild of the real-chain
 * benchmark's 20k logs peaked at 690 to 709 MB of memory instead of 644 to 697 MB (three runs
 * each; 665 to 727 MB in eighteen runs of `bench:indexer` after).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
