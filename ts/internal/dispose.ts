/**
 * Explicit resource management support.
 *
 * TypeScript lowers `using` to helpers that look `Symbol.dispose` up at run
 * time. Node >= 18.18 / >= 20.4 define it (`Symbol.for('nodejs.dispose')`);
 * older Node 18 releases do not, so define it the same way Node does.
 * Imported for its side effect by every module that relies on it.
 *
 * @internal
 */

type WritableDisposeSymbols = { dispose?: symbol; asyncDispose?: symbol };

const symbolCtor = Symbol as unknown as WritableDisposeSymbols;
symbolCtor.dispose ??= Symbol.for('nodejs.dispose');
symbolCtor.asyncDispose ??= Symbol.for('nodejs.asyncDispose');

export {};
