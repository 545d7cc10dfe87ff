// Image failures as the kubelet names them, so they go straight into a
// container's waiting reason: ErrImagePull, ErrImageNeverPull, InvalidImageName.
import { ApiError, type ErrorCode } from '../../lib/errors.js';

export type ImagePullReason = 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';

export class ImagePullError extends ApiError {
  constructor(
    /** The container status reason for this failure. */
    readonly reason: ImagePullReason,
    /** The image as the pod spec wrote it. */
    readonly image: string,
    message: string,
    code: ErrorCode,
    /** host:port of the registry involved, when one was. */
    readonly registry?: string,
  ) {
    super(code, message);
  }
}

export function isImagePullError(e: unknown, reason?: ImagePullReason): e is ImagePullError {
  return e instanceof ImagePullError && (reason === undefined || e.reason === reason);
}
