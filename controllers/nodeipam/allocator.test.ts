import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrRangeExhaustedError, NodeCidrAllocator, nodeCidrProblems } from './allocator.js';

test('blocks are handed out in order from the start of the cluster CIDR, each once', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  assert.equal(a.blocks, 256);
  assert.deepEqual(['n1', 'n2', 'n3'].map((n) => a.allocate(n)), ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
  assert.equal(a.used, 3);
  assert.equal(a.holding('n2'), '10.244.1.0/24');
});

test('a node asking again gets the block it already holds (a retried write)', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  const first = a.allocate('n1');
  assert.equal(a.allocate('n1'), first);
  assert.equal(a.used, 1);
});

test('CIDRs the nodes already carry are respected, whoever set them', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  assert.equal(a.observe('flagged', '10.244.0.0/24'), 'in-range');
  assert.equal(a.observe('other', '10.244.2.0/24'), 'in-range');
  assert.deepEqual(['x', 'y', 'z'].map((n) => a.allocate(n)), ['10.244.1.0/24', '10.244.3.0/24', '10.244.4.0/24']);
});

test('a rebuilt allocator (a restart) never hands out what the nodes hold', () => {
  const before = new NodeCidrAllocator('10.244.0.0/16', 24);
  const nodes = new Map(['a', 'b', 'c'].map((n) => [n, before.allocate(n)]));
  const after = new NodeCidrAllocator('10.244.0.0/16', 24);
  for (const [n, cidr] of nodes) assert.equal(after.observe(n, cidr), 'in-range');
  assert.equal(after.allocate('a'), nodes.get('a'), 'a node keeps its own');
  const fresh = after.allocate('d');
  assert.ok(![...nodes.values()].includes(fresh), `${fresh} is new`);
  assert.equal(fresh, '10.244.3.0/24');
});

test('a CIDR outside the cluster CIDR, or not IPv4, is left alone and holds nothing', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  assert.equal(a.observe('hollow', '100.64.7.0/24'), 'out-of-range');
  assert.equal(a.observe('v6', 'fd00::/64'), 'unparsable');
  assert.equal(a.used, 0);
  assert.equal(a.holding('hollow'), undefined);
  assert.equal(a.allocate('n'), '10.244.0.0/24');
});

test('a CIDR of another size holds every block it touches, also one reaching past the range', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  assert.equal(a.observe('big', '10.244.0.0/23'), 'in-range');
  assert.equal(a.observe('small', '10.244.2.128/25'), 'in-range');
  assert.equal(a.used, 3);
  assert.equal(a.allocate('n'), '10.244.3.0/24');
  const tiny = new NodeCidrAllocator('10.244.0.0/23', 24);
  assert.equal(tiny.observe('everything', '10.0.0.0/8'), 'in-range');
  assert.throws(() => tiny.allocate('n'), CidrRangeExhaustedError);
});

test('released blocks are reused, after the ones never used (round robin)', () => {
  const a = new NodeCidrAllocator('10.244.0.0/22', 24);
  assert.deepEqual(['a', 'b'].map((n) => a.allocate(n)), ['10.244.0.0/24', '10.244.1.0/24']);
  a.release('a');
  assert.equal(a.allocate('c'), '10.244.2.0/24', 'not the block just released');
  assert.equal(a.allocate('d'), '10.244.3.0/24');
  assert.equal(a.allocate('e'), '10.244.0.0/24', 'then the released one');
  a.release('nobody');
  a.release('e');
  a.release('e');
  assert.equal(a.used, 3);
});

test('a full range throws a typed error that says what to do', () => {
  const a = new NodeCidrAllocator('10.244.0.0/23', 24);
  a.allocate('a');
  a.allocate('b');
  assert.throws(
    () => a.allocate('c'),
    (e: unknown) =>
      e instanceof CidrRangeExhaustedError &&
      e.code === 'Unavailable' &&
      e.blocks === 2 &&
      /all 2 \/24 blocks of the cluster CIDR 10\.244\.0\.0\/23 are held by Nodes; delete Nodes that are gone, or restart the controller-manager with a larger --cluster-cidr/.test(e.message),
  );
  a.release('a');
  assert.equal(a.allocate('c'), '10.244.0.0/24');
});

test('what a node carries replaces what it held; a pending allocation survives events without a CIDR', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  const pending = a.allocate('n');
  assert.equal(a.observe('n', undefined), 'none');
  assert.equal(a.holding('n'), pending, 'kept while the write is on its way');
  assert.equal(a.observe('n', pending), 'in-range');
  assert.equal(a.observe('n', undefined), 'none');
  assert.equal(a.holding('n'), undefined, 'a node seen without its CIDR (recreated) holds nothing');
  a.allocate('n');
  assert.equal(a.observe('n', '10.244.9.0/24'), 'in-range', 'someone else wrote another one first');
  assert.equal(a.holding('n'), '10.244.9.0/24');
  assert.equal(a.used, 1);
});

test('nodes given overlapping CIDRs are both recorded and reported', () => {
  const a = new NodeCidrAllocator('10.244.0.0/16', 24);
  a.observe('a', '10.244.5.0/24');
  a.observe('b', '10.244.5.0/24');
  assert.deepEqual(a.sharing('a'), ['b']);
  a.release('a');
  assert.deepEqual(a.sharing('b'), []);
  assert.equal(a.used, 1, 'the block stays held by b');
  assert.notEqual(a.allocate('c'), '10.244.5.0/24');
});

test('flag checks list every problem', () => {
  assert.deepEqual(nodeCidrProblems('10.244.0.0/16', 24), []);
  assert.deepEqual(nodeCidrProblems('10.0.0.0/8', 24), []);
  assert.match(nodeCidrProblems('10.244.0.0', 24)[0]!, /is not an IPv4 prefix/);
  assert.match(nodeCidrProblems('fd00::/48', 64).join(), /is not an IPv4 prefix/);
  assert.match(nodeCidrProblems('10.244.1.0/16', 24)[0]!, /host bits set; did you mean 10\.244\.0\.0\/16\?/);
  assert.match(nodeCidrProblems('10.244.0.0/16', 8)[0]!, /shorter than the cluster CIDR's \/16/);
  assert.match(nodeCidrProblems('10.0.0.0/8', 25)[0]!, /at most 2\^16 are allowed \(use a mask size of at most 24\)/);
  assert.match(nodeCidrProblems('10.244.0.0/16', 31)[0]!, /from 1 to 30/);
  assert.equal(nodeCidrProblems('x', Number.NaN).length, 2);
  assert.throws(() => new NodeCidrAllocator('10.244.0.0/16', 33), /from 1 to 30/);
});
