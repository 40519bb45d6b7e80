/**
 * Typed errors. Every failure in the native engine reaches JS as one of these classes; the
 * message names the op and the offending values (shapes, indices, arguments).
 */

/** Base class of all ferrograd errors. `code` is a stable string such as `'ShapeError'`. */
export class FerrogradError extends Error {
  /** Stable machine-readable code (equals the class name). */
  readonly code: string;

  /** @param message - what went wrong, naming the op. @param code - the stable code. */
  constructor(message: string, code = 'FerrogradError') {
    super(message);
    this.name = code;
    this.code = code;
  }
}

/** Shapes that do not broadcast or match, an axis out of range, a bad reshape target. */
export class ShapeError extends FerrogradError {
  /** @param message - the op and the shapes involved. */
  constructor(message: string) {
    super(message, 'ShapeError');
  }
}

/** An op was given a dtype it does not support. */
export class DTypeError extends FerrogradError {
  /** @param message - the op and the dtypes involved. */
  constructor(message: string) {
    super(message, 'DTypeError');
  }
}

/** An argument is out of range: a negative size, a non-integer index, `min > max`, ... */
export class ValueError extends FerrogradError {
  /** @param message - the op and the argument. */
  constructor(message: string) {
    super(message, 'ValueError');
  }
}

/** Autograd misuse: `backward()` on a tensor that does not require grad, a missing seed, ... */
export class AutogradError extends FerrogradError {
  /** @param message - what was asked of autograd. */
  constructor(message: string) {
    super(message, 'AutogradError');
  }
}

/** A tensor was used after `dispose()`. */
export class DisposedError extends FerrogradError {
  /** @param message - the op that met the disposed tensor. */
  constructor(message: string) {
    super(message, 'DisposedError');
  }
}

/** A malformed or truncated model/tensor file (safetensors, IDX): the message names the file and the problem. */
export class FormatError extends FerrogradError {
  /** @param message - the file and what is wrong with it. */
  constructor(message: string) {
    super(message, 'FormatError');
  }
}

/** Reading or writing a file failed (missing file, permissions, disk full). */
export class IOError extends FerrogradError {
  /** @param message - the operation and the path. */
  constructor(message: string) {
    super(message, 'IOError');
  }
}

/** An engine bug (a caught Rust panic or an inconsistent kernel call). Please report it. */
export class InternalError extends FerrogradError {
  /** @param message - the internal failure. */
  constructor(message: string) {
    super(message, 'InternalError');
  }
}

const byCode: Record<string, new (message: string) => FerrogradError> = {
  ShapeError,
  DTypeError,
  ValueError,
  AutogradError,
  DisposedError,
  InternalError,
  FormatError,
  IOError,
  KeyError: ValueError,
  RustPanic: InternalError,
  InvalidArg: ValueError,
  NumberExpected: ValueError,
  ObjectExpected: ValueError,
  ArrayExpected: ValueError,
};

/**
 * Converts whatever the native addon threw into a typed error.
 * @internal
 */
export function toFerrogradError(err: unknown): unknown {
  if (err instanceof FerrogradError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const Ctor = typeof code === 'string' ? byCode[code] : undefined;
  if (Ctor === undefined) return err;
  const typed = new Ctor(err.message);
  typed.stack = err.stack;
  return typed;
}

/**
 * Runs a native call, rethrowing native errors as typed errors.
 * @internal
 */
export function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toFerrogradError(err);
  }
}

/**
 * Awaits a native promise, rethrowing native errors as typed errors.
 * @internal
 */
export async function nativeAsync<T>(promise: () => Promise<T>): Promise<T> {
  try {
    return await promise();
  } catch (err) {
    throw toFerrogradError(err);
  }
}
