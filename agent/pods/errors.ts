// Why a container could not be started, in the words the kubelet puts into a
// container's waiting state, so `tug get pods` shows the same reasons as kubectl.
import { ApiError, type ErrorCode } from '../../lib/errors.js';

export type StartFailureReason =
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError'
  | 'ErrImagePull'
  | 'ImagePullBackOff'
  | 'ErrImageNeverPull'
  | 'InvalidImageName';

export class ContainerStartError extends ApiError {
  constructor(
    readonly reason: StartFailureReason,
    message: string,
    code: ErrorCode = 'Invalid',
  ) {
    super(code, message);
  }
}

/** A configuration problem (missing ConfigMap key, bad subPath, ...): the container is not created. */
export function configError(message: string): ContainerStartError {
  return new ContainerStartError('CreateContainerConfigError', message);
}
