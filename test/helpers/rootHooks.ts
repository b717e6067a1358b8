import { runEnd } from "./runEnd";

/**
 * Mocha root hooks (registered by .mocharc's `require`): once every suite has run, release what
 * the run shared (templates, the PostgreSQL server). Running named files without the config:
 * `npx mocha --no-config -r ts-node/register/transpile-only -r test/helpers/rootHooks.ts ...`.
 */
export const mochaHooks = {
  afterAll: runEnd,
};
