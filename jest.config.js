/** Jest runs the TypeScript sources through ts-jest (transpile only: `npm run typecheck` checks types).
 *  Worker threads and child processes run the compiled code in dist/, which `npm test` builds first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
};
