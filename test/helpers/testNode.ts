/**
 * How the test run's anvil nodes run: a block every quarter second instead of every second (the
 * suites wait for their transactions to be mined, not for a block's length), and, for the nodes
 * a test starts in its own process, the state written every minute instead of every second (each
 * is stopped with SIGINT, which writes it). The suite that kills a node to check what its
 * interval writes kept (test/gateway/embeddedChain.test.ts) keeps the default interval.
 */
export const TEST_NODE = { blockTime: 0.25, stateInterval: 60 } as const;

/** The same block time for a gateway configured from the environment (`firstmile start` as a child process, the CLI commands). */
export const TEST_NODE_ENV = { FIRSTMILE_CHAIN_BLOCK_TIME_MS: String(TEST_NODE.blockTime * 1000) } as const;

/**
 * The V8 flags this test process runs with that the node processes it starts (`firstmile start`,
 * scripts) take over, so that they run as it does: `npm test` runs its mocha jobs with
 * `--liftoff-only` (see scripts/test.js: PGlite's WebAssembly without the optimizing recompiles).
 */
export const TEST_NODE_FLAGS: readonly string[] = process.execArgv.filter((arg) => arg === "--liftoff-only");
