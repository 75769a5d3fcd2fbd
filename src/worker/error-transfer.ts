/**
 * Make SparrowError survive a Comlink boundary with `code`, `message` and `details` intact:
 * Comlink's default 'throw' handler keeps only message/name/stack, so SparrowErrors are sent as
 * their JSON form and rebuilt with SparrowError.fromJSON on the other side. Install on both sides.
 * Idempotent, and it wraps whatever 'throw' handler is already installed (so it composes with
 * any other installer doing the same).
 */
import * as Comlink from 'comlink';
import { SparrowError } from '../errors.ts';

const INSTALLED = Symbol.for('sparrow.errorTransfer');

export function installSparrowErrorTransfer(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  const base = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<{ value: unknown }, unknown>;
  Comlink.transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize(thrown: { value: unknown }) {
      if (thrown.value instanceof SparrowError) return [{ sparrow: thrown.value.toJSON() }, []];
      return base.serialize(thrown);
    },
    deserialize(serialized: unknown) {
      const s = serialized as { sparrow?: ReturnType<SparrowError['toJSON']> };
      if (s && typeof s === 'object' && s.sparrow) throw SparrowError.fromJSON(s.sparrow);
      return base.deserialize(serialized);
    },
  } as Comlink.TransferHandler<{ value: unknown }, unknown>);
}
