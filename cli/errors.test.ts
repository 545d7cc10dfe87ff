import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, invalid } from '../lib/errors.js';
import { errorLine, problemText } from './errors.js';

test('Invalid errors list each field cause on its own line', () => {
  const e = invalid('Deployment "web"', [
    { field: 'spec.replicas', message: 'must be >= 0' },
    { field: 'metadata.name', message: 'is required' },
  ]);
  assert.equal(problemText(e), 'Deployment "web" is invalid:\n  * spec.replicas: must be >= 0\n  * metadata.name: is required');
});

test('other errors are their message, prefixed by error:', () => {
  assert.equal(errorLine(new ApiError('Unavailable', 'the apiserver is unreachable')), 'error: the apiserver is unreachable');
  assert.equal(errorLine(new Error('boom')), 'error: boom');
});
