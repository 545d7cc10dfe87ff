import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseProfile } from './profile.js';

test('a profile is summarised by self time, by file and by our functions with their callees', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
      { id: 2, callFrame: frame('create', 'file:///x/dist/apiserver/registry.js'), children: [3] },
      { id: 3, callFrame: frame('encode', 'file:///x/node_modules/protobufjs/src/writer.js'), children: [] },
      { id: 5, callFrame: frame('(idle)', ''), children: [] },
    ],
    // first delta is the start offset; each later delta is the time of the sample before it
    samples: [3, 3, 2, 5],
    timeDeltas: [0, 1000, 1000, 2000, 9000],
  };
  const s = summariseProfile(profile, 'p.cpuprofile');
  assert.equal(s.busyMs, 4);
  assert.deepEqual(s.topFunctions.map((f) => [f.name, f.share]), [['encode protobufjs/src/writer.js:1', 0.5], ['create apiserver/registry.js:1', 0.5]]);
  assert.deepEqual(s.topFiles.map((f) => f.name).sort(), ['apiserver/registry.js', 'protobufjs/src/writer.js']);
  assert.deepEqual(s.topInclusive, [{ name: 'create apiserver/registry.js:1', share: 1 }]);
});
