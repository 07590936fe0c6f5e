/**
 * The layers of lib/, held by `npm run lint` (dependency-cruiser). From the ground up:
 *
 *   ground floor  lib/core (shared types, the artifact container), lib/util, lib/store,
 *                 lib/errors.ts, lib/limits.ts, lib/config.ts, lib/security, lib/ops
 *   data          lib/data, lib/metrics, lib/ensemble
 *   models        lib/models
 *   serving       lib/inference, lib/registry
 *   work          lib/jobs (the coordinator's), lib/trainer, lib/node-data, lib/workers (a trainer's)
 *   adapters      services/ (Moleculer), bin/, bench/
 *
 * Each rule below names what it keeps out and why.
 */
module.exports = {
  forbidden: [
    {
      name: 'lib-is-pure',
      comment: 'lib/ never imports the Moleculer adapters or Moleculer itself: every algorithm is testable without a broker',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: ['^services/', '^bin/', '^bench/', '^test/', '(^|/)node_modules/moleculer(-web|-repl)?/'] },
    },
    {
      name: 'ground-floor-stands-alone',
      comment: 'the ground floor (core, util, store, errors, limits, config, security, ops) imports nothing above it',
      severity: 'error',
      from: { path: '^lib/(core|util|store|security|ops)/|^lib/(errors|limits|config)\\.ts$' },
      to: { path: '^lib/(data|metrics|ensemble|models|inference|registry|jobs|trainer|node-data|workers)/' },
    },
    {
      name: 'data-below-models',
      comment: 'data, metrics and voting rules never import models, jobs or serving: the shared types live in lib/core',
      severity: 'error',
      from: { path: '^lib/(data|metrics|ensemble)/' },
      to: { path: '^lib/(models|inference|registry|jobs|trainer|node-data|workers)/' },
    },
    {
      name: 'models-on-the-ground-floor',
      comment: 'models import only the ground floor (and each other): a model kind knows nothing of data sets, jobs or serving',
      severity: 'error',
      from: { path: '^lib/models/' },
      to: { path: '^lib/(data|metrics|ensemble|inference|registry|jobs|trainer|node-data|workers)/' },
    },
    {
      name: 'serving-never-imports-jobs',
      comment: 'the registry and inference serve versions; how a version was trained (lib/jobs) is not theirs to know',
      severity: 'error',
      from: { path: '^lib/(registry|inference)/' },
      to: { path: '^lib/(jobs|trainer|node-data)/' },
    },
    {
      name: 'no-cycles',
      comment: 'a cycle of imports makes two modules one: break it',
      severity: 'error',
      from: { path: '^(lib|services)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
