// The one catalogue of API error codes. Every failure a component reports to
// another carries one of these, maps onto a gRPC status, and says what to do.
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';

export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'Unauthorized'
  | 'TooOld'
  | 'Unavailable'
  | 'Timeout'
  | 'BadRequest'
  | 'Internal';

/** One problem with one field: `spec.replicas: must be >= 0, got -1`. */
export interface FieldCause {
  field: string;
  message: string;
}

const toGrpc: Record<ErrorCode, GrpcStatus> = {
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  Conflict: GrpcStatus.ABORTED,
  Invalid: GrpcStatus.INVALID_ARGUMENT,
  Forbidden: GrpcStatus.PERMISSION_DENIED,
  Unauthorized: GrpcStatus.UNAUTHENTICATED,
  TooOld: GrpcStatus.OUT_OF_RANGE,
  Unavailable: GrpcStatus.UNAVAILABLE,
  Timeout: GrpcStatus.DEADLINE_EXCEEDED,
  BadRequest: GrpcStatus.FAILED_PRECONDITION,
  Internal: GrpcStatus.INTERNAL,
};
const fromGrpc = new Map<number, ErrorCode>(
  (Object.entries(toGrpc) as [ErrorCode, GrpcStatus][]).map(([code, s]) => [s, code]),
);

const CODE_KEY = 'tug-error-code';
const CAUSES_KEY = 'tug-error-causes-bin';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly causes: FieldCause[] = [],
  ) {
    super(message);
  }

  /** A gRPC ServiceError carrying the code and field causes in metadata. */
  toGrpc(): Partial<ServiceError> {
    const metadata = new Metadata();
    metadata.set(CODE_KEY, this.code);
    if (this.causes.length) metadata.set(CAUSES_KEY, Buffer.from(JSON.stringify(this.causes)));
    return { code: toGrpc[this.code], details: this.message, metadata };
  }

  static fromGrpc(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    const e = err as Partial<ServiceError> | undefined;
    if (!e || typeof e.code !== 'number') {
      return new ApiError('Internal', err instanceof Error ? err.message : String(err));
    }
    const md = e.metadata;
    const named = md?.get(CODE_KEY)[0];
    let code: ErrorCode = (typeof named === 'string' && named in toGrpc ? named : fromGrpc.get(e.code)) as ErrorCode ?? 'Internal';
    let causes: FieldCause[] = [];
    const raw = md?.get(CAUSES_KEY)[0];
    if (raw) {
      try {
        causes = JSON.parse(Buffer.isBuffer(raw) ? raw.toString() : String(raw)) as FieldCause[];
      } catch {
        causes = [];
      }
    }
    let message = e.details || e.message || 'unknown error';
    if (e.code === GrpcStatus.UNAVAILABLE && !named) {
      code = 'Unavailable';
      message = `the apiserver is unreachable (${message}); check that it is running and that --server points at it`;
    }
    return new ApiError(code ?? 'Internal', message, causes);
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 'NotFound';
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.code === 'AlreadyExists';

/** An Invalid error listing every cause, in the form `Kind "name" is invalid: a; b`. */
export function invalid(what: string, causes: FieldCause[]): ApiError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ');
  return new ApiError('Invalid', `${what} is invalid: ${list}`, causes);
}
