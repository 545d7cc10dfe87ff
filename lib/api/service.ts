// The gRPC service definition of the apiserver, built from the proto
// reflection, with messages (de)serialised in their JSON form.
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import { root, encode, decode } from './schema.js';
import type { ApiMethods } from './generated/types.js';
import protobuf from 'protobufjs';

export type MethodName = keyof ApiMethods;

function build(name: string): ServiceDefinition {
  const svc = root.lookupService(`tugboat.api.${name}`);
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = (m.resolvedRequestType as protobuf.Type).name;
    const res = (m.resolvedResponseType as protobuf.Type).name;
    def[m.name] = {
      path: `/tugboat.api.${name}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: (v: unknown) => Buffer.from(encode(req, v as object)),
      requestDeserialize: (b: Buffer) => decode(req, b),
      // A Buffer is a message encoded already (watch responses share their events' bytes).
      responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(encode(res, v as object))),
      responseDeserialize: (b: Buffer) => decode(res, b),
      originalName: m.name,
    };
  }
  return def as ServiceDefinition;
}

/** The apiserver's service. */
export const apiService: ServiceDefinition = build('Api');
/** A node agent's service (logs, exec), called by the apiserver. */
export const agentService: ServiceDefinition = build('Agent');

/** Large lists (10,000 pods) exceed gRPC's 4 MiB default. */
export const MAX_MESSAGE_BYTES = 512 * 1024 * 1024;
