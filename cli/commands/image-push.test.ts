import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from './image-push.js';

test('--entrypoint/--cmd take words or a JSON array', () => {
  assert.deepEqual(parseCommandLine('httpd -f -p 8080', '--cmd'), ['httpd', '-f', '-p', '8080']);
  assert.deepEqual(parseCommandLine(' sh ', '--cmd'), ['sh']);
  assert.deepEqual(parseCommandLine('["sh","-c","echo hi there"]', '--cmd'), ['sh', '-c', 'echo hi there']);
  assert.throws(() => parseCommandLine('["sh", 1]', '--cmd'), /--cmd \["sh", 1\]: must be a JSON array of strings/);
  assert.throws(() => parseCommandLine('[sh', '--entrypoint'), /--entrypoint \[sh: not a JSON array/);
  assert.throws(() => parseCommandLine('  ', '--cmd'), /--cmd is empty/);
});
