import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type * as T from '../lib/api/generated/types.js';
import { ApiError } from '../lib/errors.js';
import { agentAddress, agentError, chooseContainer, nodeOfPod } from './node-proxy.js';

const pod = (containers: string[], init: string[] = [], nodeName?: string): T.Pod => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { nodeName, containers: containers.map((name) => ({ name, image: 'busybox' })), initContainers: init.map((name) => ({ name, image: 'busybox' })) },
});

const node = (status: T.NodeStatus): T.Node => ({ metadata: { name: 'n1' }, status });

function throwsApi(fn: () => unknown, code: string, message: string | RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('node proxy decisions', () => {
  it('chooses the named container or the only one, in kubectl’s words otherwise', () => {
    assert.equal(chooseContainer(pod(['a']), ''), 'a');
    assert.equal(chooseContainer(pod(['a', 'b']), 'b'), 'b');
    assert.equal(chooseContainer(pod(['a'], ['setup']), 'setup'), 'setup');
    throwsApi(() => chooseContainer(pod(['a', 'b']), undefined), 'BadRequest', 'a container name must be specified for pod web, choose one of: [a b]');
    throwsApi(
      () => chooseContainer(pod(['a', 'b'], ['init1']), ''),
      'BadRequest',
      'a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [init1]',
    );
    throwsApi(() => chooseContainer(pod(['a']), 'x'), 'BadRequest', 'container x is not valid for pod web');
  });

  it('refuses a pod that is not bound to a node yet', () => {
    assert.equal(nodeOfPod(pod(['a'], [], 'n1')), 'n1');
    throwsApi(() => nodeOfPod(pod(['a'])), 'BadRequest', 'pod "web" is not scheduled yet');
  });

  it('finds the agent at the InternalIP and kubelet port of the node', () => {
    const ep = { kubeletEndpoint: { Port: 10250 } };
    assert.equal(
      agentAddress(node({ addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.5' }], daemonEndpoints: ep })),
      '10.0.0.5:10250',
    );
    assert.equal(agentAddress(node({ addresses: [{ type: 'Hostname', address: 'n1' }], daemonEndpoints: ep })), 'n1:10250');
    assert.equal(agentAddress(node({ addresses: [{ type: 'InternalIP', address: 'fd00::5' }], daemonEndpoints: ep })), '[fd00::5]:10250');
    throwsApi(() => agentAddress(node({ daemonEndpoints: ep })), 'Unavailable', /node "n1" reports no address/);
    throwsApi(() => agentAddress(node({ addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] })), 'Unavailable', /kubeletEndpoint\.Port/);
  });

  it('tells an unreachable agent from an error the agent reported', () => {
    const unreachable = { code: grpc.status.UNAVAILABLE, details: 'No connection established', metadata: new grpc.Metadata() };
    const e = agentError(unreachable, 'n1', '127.0.0.1:1');
    assert.equal(e.code, 'Unavailable');
    assert.match(e.message, /cannot reach the agent of node "n1" at 127\.0\.0\.1:1/);
    const reported = new ApiError('BadRequest', 'previous terminated container "a" in pod "web" not found').toGrpc();
    const back = agentError(reported, 'n1', '127.0.0.1:1');
    assert.equal(back.code, 'BadRequest');
    assert.equal(back.message, 'previous terminated container "a" in pod "web" not found');
    assert.equal(agentError({ code: grpc.status.UNIMPLEMENTED, details: 'no such method', metadata: new grpc.Metadata() }, 'n1', 'x:1').code, 'Internal');
  });
});
