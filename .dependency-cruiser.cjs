/**
 * The architecture as rules (DESIGN.md "Architecture"): dependencies point one way,
 * cli → supervisor → control-plane/admin → proxy → protocol/routing → core, and nothing imports
 * in a cycle. `pnpm lint` runs this over every package.
 */
const src = '^packages/balancer/src/';

/** What each folder of the balancer may import besides itself (and node/npm modules). */
const allowed = {
  core: [],
  protocol: ['core'],
  routing: ['core'],
  logging: [],
  config: ['core', 'protocol', 'routing'],
  state: ['core', 'config', 'logging'],
  proxy: ['core', 'protocol', 'routing', 'config', 'logging'],
  'control-plane': ['core', 'protocol', 'routing', 'config', 'logging', 'state', 'proxy'],
  /** The operator's operations (add, drain, undrain, remove, the views), shared by the CLI and the admin API. */
  operator: ['core', 'protocol', 'config', 'state'],
  admin: ['core', 'protocol', 'routing', 'config', 'logging', 'state', 'proxy', 'control-plane', 'operator'],
  supervisor: [
    'core',
    'protocol',
    'routing',
    'config',
    'logging',
    'state',
    'proxy',
    'control-plane',
    'operator',
    'admin',
  ],
};

const layerRules = Object.entries(allowed).map(([folder, may]) => ({
  name: `layer-${folder}`,
  comment: `${folder}/ may import only ${may.length > 0 ? may.join(', ') : 'itself'} (DESIGN.md "Architecture")`,
  severity: 'error',
  from: { path: `${src}${folder}/` },
  to: { path: src, pathNot: [`${src}(${[folder, ...may].join('|')})/`] },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycle anywhere', from: {}, to: { circular: true } },
    ...layerRules,
    {
      name: 'library-not-cli-or-testkit',
      severity: 'error',
      comment: 'the runtime never depends on the CLI or on test code',
      from: { path: '^packages/balancer/' },
      to: { path: '^packages/(cli|testkit)/' },
    },
    {
      name: 'production-not-testkit',
      severity: 'error',
      comment: 'the production image does not ship test code',
      from: { path: '^packages/(cli|demo)/src/' },
      to: { path: '^packages/testkit/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
