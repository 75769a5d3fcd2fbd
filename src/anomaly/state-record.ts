/**
 * The plain shape in which each stateful piece of the detector (quantizer, likelihood, the
 * detector itself) hands out and takes back its learned state: named scalars and typed arrays,
 * nested one level per component. detector-state.ts turns it into bytes without knowing the
 * fields, so a component that gains state only extends its own exportState/importState.
 */
import { SparrowError } from '../errors.ts';

export type StateValue = number | boolean | string | null | Float64Array | Float32Array | StateRecord;
export interface StateRecord {
  [name: string]: StateValue;
}

/** Read helpers for importState: a missing or mistyped field is FORMAT_INVALID naming it. */
export function stateNumber(s: StateRecord, key: string, where: string): number {
  const v = s[key];
  if (typeof v !== 'number') throw new SparrowError('FORMAT_INVALID', `${where}: learned state field "${key}" is missing or not a number`, { field: key });
  return v;
}

export function stateBool(s: StateRecord, key: string, where: string): boolean {
  const v = s[key];
  if (typeof v !== 'boolean') throw new SparrowError('FORMAT_INVALID', `${where}: learned state field "${key}" is missing or not a boolean`, { field: key });
  return v;
}

export function stateF64(s: StateRecord, key: string, where: string, length?: number): Float64Array {
  const v = s[key];
  if (!(v instanceof Float64Array)) throw new SparrowError('FORMAT_INVALID', `${where}: learned state array "${key}" is missing or not float64`, { field: key });
  return checkedLength(v, key, where, length);
}

export function stateF32(s: StateRecord, key: string, where: string, length?: number): Float32Array {
  const v = s[key];
  if (!(v instanceof Float32Array)) throw new SparrowError('FORMAT_INVALID', `${where}: learned state array "${key}" is missing or not float32`, { field: key });
  return checkedLength(v, key, where, length);
}

/** The array itself when `length` is unset or matches; SHAPE_MISMATCH naming the field otherwise. */
function checkedLength<T extends Float32Array | Float64Array>(v: T, key: string, where: string, length: number | undefined): T {
  if (length !== undefined && v.length !== length) {
    throw new SparrowError('SHAPE_MISMATCH', `${where}: learned state array "${key}" has ${v.length} values, expected ${length}`, { field: key, got: v.length, expected: length });
  }
  return v;
}

export function stateRecord(s: StateRecord, key: string, where: string): StateRecord {
  const v = s[key];
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) throw new SparrowError('FORMAT_INVALID', `${where}: learned state part "${key}" is missing`, { field: key });
  return v as StateRecord;
}
