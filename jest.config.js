/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // isolatedModules (tsconfig) makes ts-jest transpile only; type-checking is `npm run typecheck`'s job.
    '^.+\\.ts$': 'ts-jest',
  },
  // The Functions worker provides this module at run time; the local host's stand-in answers it.
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/dev/functions-host/core-module.ts' },
  testTimeout: 30000,
  // Stopgap: since the e2e and package tests landed, something keeps the jest process alive after a full run
  // (no child process is left; an in-process handle). Every test passes and cleans up what it started that we
  // know of; until the handle is found (jest --detectOpenHandles on the full suite), end the run when it ends.
  forceExit: true,
};
