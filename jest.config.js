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
  // Most of the suite's time is waiting (lease expiries, queue polling, processes starting), so a worker per core
  // rather than jest's default of one fewer: on two cores this halves the run.
  maxWorkers: '100%',
};
