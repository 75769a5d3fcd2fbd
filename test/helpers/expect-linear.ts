/** Vitest checks of linear-layer outputs against a float64 oracle (Node suites; browser cases return numbers instead). */
import { expect } from 'vitest';

/**
 * Worst |got − want| / (Σ|w·x| + 1e-30) over the finite expected outputs, after asserting that every
 * non-finite expected output is matched exactly (same ±Inf, NaN for NaN) and every finite one is
 * finite. `what` names the case in failure messages.
 */
export function worstRelExactNonFinite(got: ArrayLike<number>, want: Float64Array, mag: Float64Array, what: string): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) {
      expect(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `${what}: output ${i} ${got[i]} vs ${want[i]}`).toBe(true);
      continue;
    }
    expect(Number.isFinite(got[i]), `${what}: output ${i} = ${got[i]}`).toBe(true);
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / (mag[i] + 1e-30));
  }
  return worst;
}
