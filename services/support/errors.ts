/**
 * One place where catalogue errors become Moleculer errors: `type` carries the stable code (remote
 * callers match on it), `code` the HTTP status the gateway answers with, `retryable` whether another
 * attempt (on another node) may succeed.
 */
import { Errors, type Context, type ServiceSchema } from 'moleculer';
import { ERRORS, QuorumError, isErrorCode } from '../../lib/errors';

export function toMoleculerError(err: unknown): Error {
  if (err instanceof QuorumError) {
    if (err.status < 500) return new Errors.MoleculerClientError(err.message, err.status, err.code, err.data);
    return err.retryable
      ? new Errors.MoleculerRetryableError(err.message, err.status, err.code, err.data)
      : new Errors.MoleculerServerError(err.message, err.status, err.code, err.data);
  }
  return err as Error;
}

/** A Moleculer error from another node back into the catalogue (by `type`), for lib code. */
export function fromMoleculerError(err: unknown): QuorumError | Error {
  const e = err as Errors.MoleculerError;
  if (e && isErrorCode(e.type)) return new QuorumError(e.type, e.message, e.data as Record<string, unknown>);
  return err as Error;
}

/** Status and retryability of a catalogue code (for errors rebuilt from JSON). */
export function specOf(code: string): { status: number; retryable: boolean } | undefined {
  return isErrorCode(code) ? ERRORS[code] : undefined;
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
