import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { kindInfo, type AnyObject } from '../../lib/api/kinds.js';
import { listOf, nameLine, parseOutputFormat, toJson, toYaml, withTypeMeta } from './output.js';

test('output formats: known ones accepted, others refused with the list', () => {
  assert.equal(parseOutputFormat(undefined), 'table');
  assert.equal(parseOutputFormat('json'), 'json');
  assert.throws(() => parseOutputFormat('jsonpath'), /allowed formats are: json, name, wide, yaml/);
});

test('a list is a v1 List; YAML round-trips; names are kind-qualified', () => {
  const obj = withTypeMeta(kindInfo('Deployment'), { metadata: { name: 'web' } } as AnyObject);
  assert.deepEqual(Object.keys(obj).slice(0, 2), ['apiVersion', 'kind']);
  const list = listOf([obj]);
  assert.deepEqual(JSON.parse(toJson(list)), { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }] });
  assert.deepEqual(parse(toYaml(list)), list);
  assert.equal(nameLine(kindInfo('Deployment'), obj), 'deployment.apps/web');
});
