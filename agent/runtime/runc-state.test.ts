import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStateFile, labelsToAnnotations, parseProcStat, runcStatus } from './runc-state.js';

test('/proc/<pid>/stat gives the state and the start time, even with odd command names', () => {
  const fields = Array.from({ length: 40 }, (_, i) => String(i));
  fields[0] = 'S';
  fields[19] = '1113594';
  assert.deepEqual(parseProcStat(`123 (sl ee) p) ${fields.join(' ')}`), { state: 'S', startTime: 1113594 });
  assert.equal(parseProcStat('garbage'), undefined);
});

test('labels give the bundle and the annotations, values keeping their "="', () => {
  assert.deepEqual(labelsToAnnotations(['bundle=/b/c', 'a=1', 'b=x=y', 'junk']), { bundle: '/b/c', annotations: { a: '1', b: 'x=y' } });
});

test("status follows runc's rule", () => {
  const proc = { state: 'S', startTime: 100 };
  assert.equal(runcStatus({ initStart: 100, proc, execFifo: true, frozen: false }), 'created');
  assert.equal(runcStatus({ initStart: 100, proc, execFifo: false, frozen: false }), 'running');
  assert.equal(runcStatus({ initStart: 100, proc, execFifo: false, frozen: true }), 'paused');
  // Gone, a zombie, or the pid reused by another process.
  assert.equal(runcStatus({ initStart: 100, proc: undefined, execFifo: false, frozen: false }), 'stopped');
  assert.equal(runcStatus({ initStart: 100, proc: { state: 'Z', startTime: 100 }, execFifo: false, frozen: false }), 'stopped');
  assert.equal(runcStatus({ initStart: 100, proc: { state: 'S', startTime: 999 }, execFifo: true, frozen: false }), 'stopped');
});

test('a state file not in the form runc 1.x writes is refused (the caller then asks runc)', () => {
  const good = { id: 'c1', init_process_pid: 5, init_process_start: 7, created: '2026-01-01T00:00:00Z', config: { labels: ['bundle=/b'] }, cgroup_paths: { freezer: '/f', bad: 3 } };
  assert.deepEqual(checkStateFile(good, 'c1'), { pid: 5, initStart: 7, created: '2026-01-01T00:00:00Z', labels: ['bundle=/b'], cgroupPaths: { freezer: '/f' } });
  assert.equal(checkStateFile(good, 'c2'), undefined);
  assert.equal(checkStateFile({ ...good, init_process_start: '7' }, 'c1'), undefined);
  assert.equal(checkStateFile({ ...good, config: { labels: [1] } }, 'c1'), undefined);
});
