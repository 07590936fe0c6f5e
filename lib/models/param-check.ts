/**
 * One way to check a model kind's parameters at the boundary, for every kind: unknown keys
 * refused (naming the valid ones), every value checked against its range, every error a
 * BAD_MODEL_PARAMS whose message names the kind, the parameter, the value and what is allowed:
 *
 *   forest parameter 'maxBins' is 256: use an integer from 2 to 255
 *
 * `data` carries `{kind, param, value, expected}` (the value as a bounded preview; `expected` is the
 * hint after the colon).
 */
import { QuorumError, listNames, previewValue } from '../errors';

/** The error every parameter check throws. */
export function badParam(kind: string, param: string, value: unknown, hint: string): QuorumError {
  return new QuorumError('BAD_MODEL_PARAMS', `${kind} parameter '${param}' is ${previewValue(value)}: ${hint}`, {
    kind,
    param,
    value: previewValue(value),
    expected: hint,
  });
}

/**
 * The user's parameters as an object (undefined and null: none), refusing keys outside `known`.
 * Prototype keys (`__proto__`, `constructor`) are unknown like any other. `internal` keys are
 * accepted but never offered in a message: they are set by Quorum itself (a forest split over
 * threads), not a user's to give.
 */
export function paramsObject(kind: string, raw: unknown, known: readonly string[], internal: readonly string[] = []): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new QuorumError('BAD_MODEL_PARAMS', `${kind} parameters must be an object, got ${previewValue(raw)}`, { kind });
  }
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      const offered = known.filter((k) => !internal.includes(k));
      throw new QuorumError('BAD_MODEL_PARAMS', `unknown ${kind} parameter '${key}': use ${listNames(offered)}`, { kind, param: key, valid: offered });
    }
  }
  return raw as Record<string, unknown>;
}

/** Checks of one kind's values, bound to its name. */
export interface ParamChecker {
  /** An integer in [min, max]. */
  int(param: string, value: unknown, min: number, max?: number): number;
  /** A finite number in [min, max] (or (min, max] with `minExclusive`). */
  num(param: string, value: unknown, min: number, max: number, opts?: { minExclusive?: boolean }): number;
  /** One of `allowed`. */
  oneOf<T>(param: string, value: unknown, allowed: readonly T[]): T;
  bool(param: string, value: unknown): boolean;
  /** The error for a value no other check describes; `hint` follows the colon ("use …"). */
  bad(param: string, value: unknown, hint: string): QuorumError;
}

function bound(n: number): string {
  return n === Number.MAX_SAFE_INTEGER ? '∞' : String(n);
}

/** The checks of the kind called `kind`. */
export function paramChecker(kind: string): ParamChecker {
  const bad = (param: string, value: unknown, hint: string) => badParam(kind, param, value, hint);
  return {
    bad,
    int(param, value, min, max = Number.MAX_SAFE_INTEGER) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw bad(param, value, `use an integer from ${bound(min)} to ${bound(max)}`);
      }
      return value;
    },
    num(param, value, min, max, opts = {}) {
      const ok = typeof value === 'number' && Number.isFinite(value) && (opts.minExclusive ? value > min : value >= min) && value <= max;
      if (!ok) throw bad(param, value, `use a number ${opts.minExclusive ? `above ${min}` : `from ${min}`} to ${max}`);
      return value as number;
    },
    oneOf(param, value, allowed) {
      if (!allowed.includes(value as never)) throw bad(param, value, `use ${listNames(allowed.map(String))}`);
      return value as (typeof allowed)[number];
    },
    bool(param, value) {
      if (typeof value !== 'boolean') throw bad(param, value, 'use true or false');
      return value;
    },
  };
}
