import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProgram } from './command.js';

test('a bare program name is looked up in PATH once; paths and unknown names are left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tug-resolve-'));
  try {
    const tool = join(dir, 'tug-test-tool');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o755);
    writeFileSync(join(dir, 'not-executable'), '');
    const path = ['relative/dir', join(dir, 'missing'), dir].join(':');
    assert.equal(resolveProgram('tug-test-tool', path), tool);
    assert.equal(resolveProgram('not-executable', path), 'not-executable');
    assert.equal(resolveProgram('no-such-tool', path), 'no-such-tool');
    assert.equal(resolveProgram('/usr/sbin/runc', path), '/usr/sbin/runc');
    // Remembered: found again even once the file is gone.
    rmSync(tool);
    assert.equal(resolveProgram('tug-test-tool', path), tool);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
