import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, freePorts, LOOPBACK } from './ports.js';

function bind(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port, exclusive: true }, () =>
      resolve(() => new Promise((done) => server.close(() => done()))),
    );
  });
}

test('freePort returns a port that can be bound on loopback', async () => {
  const port = await freePort();
  assert.ok(Number.isInteger(port) && port > 0 && port < 65536, `port ${port}`);
  const close = await bind(port);
  await close();
});

test('freePorts returns distinct ports that can all be bound at once', async () => {
  const ports = await freePorts(5);
  assert.equal(ports.length, 5);
  assert.equal(new Set(ports).size, 5, `ports not distinct: ${ports.join(',')}`);
  const closers = await Promise.all(ports.map(bind));
  await Promise.all(closers.map((close) => close()));
});

test('freePorts rejects a count that is not a positive integer', async () => {
  await assert.rejects(freePorts(0), RangeError);
  await assert.rejects(freePorts(1.5), RangeError);
});
