/**
 * One place where catalogue errors become Moleculer errors: `type` carries the stable code (remote
 * callers match on it), `code` the HTTP status the gateway answers with, `retryable` whether another
 * attempt (on another node) may succeed.
 */
import { Errors, type Context, type ServiceSchema } from 'moleculer';
import { QuorumError } from '../../lib/errors';

export function toMoleculerError(err: unknown): Error {
  if (err instanceof QuorumError) {
    if (err.status < 500) return new Errors.MoleculerClientError(err.message, err.status, err.code, err.data);
    return err.retryable
      ? new Errors.MoleculerRetryableError(err.message, err.status, err.code, err.data)
      : new Errors.MoleculerServerError(err.message, err.status, err.code, err.data);
  }
  return err as Error;
}

/** Mixin: every action's QuorumError leaves the service as the matching Moleculer error. */
export const QuorumErrors: Partial<ServiceSchema> = {
  hooks: {
    error: {
      '*'(_ctx: Context, err: Error) {
        throw toMoleculerError(err);
      },
    },
  },
};
