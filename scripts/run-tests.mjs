#!/usr/bin/env node
// `npm test`: builds, then runs the compiled tests with node's test runner.
//
//   npm test                          every test (unit, integration, e2e)
//   npm test -- unit                  one suite: unit | integration | e2e
//   npm test -- lib/testing etcd      files whose source path contains any of these
//   npm test -- --list unit           print the chosen files, run nothing
//   npm test -- --no-build apiserver  skip the build (dist/ must be current)
//   npm test -- --test-name-pattern=watch   --test-* options go to node as they are
//
// Suites follow from the file name: `e2e/**` or `*.e2e.test.ts` is e2e,
// `*.integration.test.ts` is integration (real etcd, apiserver, ...), every
// other `*.test.ts` is unit. Several filters select the union of their files.
//
// Environment: TUG_TEST_CONCURRENCY (test files at once, default 2),
// TUG_TEST_TIMEOUT_MS (default 1200000, 20 min), TUG_TEST_REPORTER (default tap,
// whose closing `# tests N` / `# pass N` / `# fail N` lines CI reads).
//
// Node 20 applies --test-timeout to each test file as a whole as well as to
// each test, so it is a bound on a file: it turns a hung file into a failure
// well inside CI's time. A test that needs a tighter bound sets its own
// `{ timeout }` option.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const SUITES = ['unit', 'integration', 'e2e'];

/** `dist/lib/x.test.js` → `lib/x.test.ts`, the source a compiled test came from. */
export function sourceOf(distFile) {
  return relative(DIST, distFile).split(sep).join('/').replace(/\.js$/, '.ts');
}

/** Which suite a test source belongs to, from its path alone. */
export function suiteOf(source) {
  if (source.startsWith('e2e/') || source.endsWith('.e2e.test.ts')) return 'e2e';
  if (source.endsWith('.integration.test.ts')) return 'integration';
  return 'unit';
}

/** Sources picked by the filters: a suite name, or a substring of the source path. */
export function selectTests(sources, filters) {
  if (filters.length === 0) return sources;
  return sources.filter((src) =>
    filters.some((f) => (SUITES.includes(f) ? suiteOf(src) === f : src.includes(f))),
  );
}

function parseArgs(argv) {
  const opts = { build: true, list: false, filters: [], nodeArgs: [] };
  for (const arg of argv) {
    if (arg === '--no-build') opts.build = false;
    else if (arg === '--list') opts.list = true;
    else if (arg.startsWith('--test-')) opts.nodeArgs.push(arg);
    else if (arg === '-h' || arg === '--help') opts.help = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (see scripts/run-tests.mjs for usage)`);
    else opts.filters.push(arg.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts'));
  }
  return opts;
}

function findTestFiles(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTestFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    // Ctrl-C reaches the child through the terminal; a SIGTERM sent only to us is passed on.
    const forward = () => child.kill('SIGTERM');
    process.on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.removeListener('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 1;
}

function npm(args) {
  // Under `npm test`, npm tells us which npm runs us; use the same one.
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith('.js') ? run(process.execPath, [npmCli, ...args]) : run('npm', args);
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(usage());
    return 0;
  }
  if (opts.build) {
    console.log('run-tests: npm run build');
    const code = await npm(['run', 'build']);
    if (code !== 0) {
      console.error(`run-tests: the build failed (exit ${code}); fix it, or run with --no-build to test the last build`);
      return code;
    }
  }

  // A compiled test whose source is gone is left over from an earlier build: skip it.
  const all = findTestFiles(DIST)
    .filter((file) => existsSync(join(ROOT, sourceOf(file))))
    .sort();
  const bySource = new Map(all.map((file) => [sourceOf(file), file]));
  const chosen = selectTests([...bySource.keys()], opts.filters);
  if (chosen.length === 0) {
    console.error(
      all.length === 0
        ? 'run-tests: no compiled tests under dist/ (is the build emitting *.test.js?)'
        : `run-tests: no test matches ${opts.filters.join(' ')} (suites: ${SUITES.join(', ')}; or a part of a source path)`,
    );
    return 1;
  }

  const counts = Object.fromEntries(SUITES.map((s) => [s, chosen.filter((src) => suiteOf(src) === s).length]));
  console.log(
    `run-tests: ${chosen.length} test files (${SUITES.map((s) => `${counts[s]} ${s}`).join(', ')})` +
      (opts.filters.length ? ` matching ${opts.filters.join(' ')}` : ''),
  );
  if (opts.list) {
    for (const src of chosen) console.log(`  ${suiteOf(src).padEnd(11)} ${src}`);
    return 0;
  }

  const concurrency = positiveInt('TUG_TEST_CONCURRENCY', 2);
  const timeoutMs = positiveInt('TUG_TEST_TIMEOUT_MS', 1_200_000);
  const reporter = process.env.TUG_TEST_REPORTER || 'tap';
  const nodeArgs = [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    ...(opts.nodeArgs.some((a) => a.startsWith('--test-reporter')) ? [] : [`--test-reporter=${reporter}`]),
    ...opts.nodeArgs,
    ...chosen.map((src) => relative(ROOT, bySource.get(src))),
  ];
  console.log(`run-tests: node ${nodeArgs.filter((a) => a.startsWith('-')).join(' ')} <${chosen.length} files>`);
  return run(process.execPath, nodeArgs);
}

function usage() {
  return [
    'usage: npm test -- [--no-build] [--list] [unit|integration|e2e|PATH-PART ...] [--test-* node options]',
    'env: TUG_TEST_CONCURRENCY (default 2), TUG_TEST_TIMEOUT_MS (per file and test, default 1200000), TUG_TEST_REPORTER (default tap)',
  ].join('\n');
}

// Imported for its pure functions (e.g. by a test), it does nothing.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`run-tests: ${err.message}`);
      process.exit(1);
    },
  );
}
