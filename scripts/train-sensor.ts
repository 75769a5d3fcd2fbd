/**
 * npm run train:sensor -- [--steps N] [--out public/models/sensor.safetensors] [--view 32:8] [--margin 0.1] [--kinds base|all] [--clean] [--extra-views 128:32] [--hysteresis 0.25]
 * Trains the sensor micro model on synthetic streams (src/anomaly/synthetic.ts), seen through the
 * detector's view (src/anomaly/view.ts: mean of the last `block` points every `stride` points;
 * default = DEFAULT_DETECTOR.view) and tokenised by the detector's online quantiser; no NAB data
 * is used. Deterministic for a given --seed.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { SENSOR_CONFIG } from '../src/models/micro-config.ts';
import { saveMicro } from '../src/models/micro-weights.ts';
import { EXTRA_KINDS, STREAM_KINDS, syntheticStream, xorshift } from '../src/anomaly/synthetic.ts';
import { tokenize } from '../src/anomaly/tokens.ts';
import { train } from '../src/train/loop.ts';
import { viewSeries } from '../src/anomaly/view.ts';
import { DEFAULT_DETECTOR } from '../src/anomaly/detector.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '96' },
    lr: { type: 'string', default: '3e-3' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'public/models/sensor.safetensors' },
    view: { type: 'string', default: `${DEFAULT_DETECTOR.view.block}:${DEFAULT_DETECTOR.view.stride}` },
    margin: { type: 'string', default: String(DEFAULT_DETECTOR.quantizer.margin) },
    // 'base' (the shipped model's corpus) or 'all' (base + EXTRA_KINDS: daily shapes with weekends, counts, plateaus, spike trains)
    kinds: { type: 'string', default: 'base' },
    // streams without the injected spikes / shifts / dropouts (the model then never learns to expect them)
    clean: { type: 'boolean', default: false },
    hysteresis: { type: 'string', default: '0' },
    // further views mixed into the corpus (e.g. 128:32, the detector's slower channel): streams alternate between --view and these
    'extra-views': { type: 'string', default: '' },
  },
});
const seed = Number(values.seed);
const r = xorshift(seed);
const parseView = (v: string) => {
  const [block, stride] = v.split(':').map(Number);
  return { block, stride };
};
const views = [values.view!, ...values['extra-views']!.split(',').filter(Boolean)].map(parseView);
// tokens coded exactly as the detector codes them (its quantiser settings, margin overridable)
// (without the detector's hysteresis unless --hysteresis is given: the shipped model was trained
// before it existed, and the documented command must keep reproducing it bit for bit)
const quant = { ...DEFAULT_DETECTOR.quantizer, margin: Number(values.margin), hysteresis: Number(values.hysteresis) };
if (values.kinds !== 'base' && values.kinds !== 'all') throw new Error(`--kinds must be base or all, not ${values.kinds}`);
const kinds = values.kinds === 'all' ? [...STREAM_KINDS, ...EXTRA_KINDS] : STREAM_KINDS;
function corpus(nStreams: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < nStreams; i++) {
    const kind = kinds[Math.floor(r() * kinds.length)];
    // stride × as many raw points, so each stream still gives 1500–4500 tokens after the view
    const view = views[i % views.length];
    const n = (1500 + Math.floor(r() * 3000)) * view.stride + view.block;
    parts.push(tokenize(viewSeries(syntheticStream(kind, n, r, !values.clean), view), quant));
  }
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (all.set(p, o), (o += p.length));
  return all;
}
const trainTokens = corpus(400);
const heldOut = corpus(20);
console.log(`train tokens ${trainTokens.length}, held-out ${heldOut.length}`);
const res = train(SENSOR_CONFIG, trainTokens, {
  steps: Number(values.steps), batch: Number(values.batch), seqLen: Number(values.seq), lr: Number(values.lr), seed, every: 100, heldOut,
  onProgress: (p) => console.log(`step ${p.step}/${p.steps} train ${p.bpt.toFixed(3)} bpt  held-out ${p.heldOutBpt?.toFixed(3)} bpt  ${p.tokensPerSec.toFixed(0)} tok/s`),
});
mkdirSync(dirname(values.out!), { recursive: true });
const last = res.history[res.history.length - 1];
writeFileSync(values.out!, saveMicro(SENSOR_CONFIG, res.weights, { trained_on: 'synthetic streams (src/anomaly/synthetic.ts)', view: values.view!, margin: values.margin!, ...(values.kinds === 'base' ? {} : { kinds: values.kinds! }), ...(values.clean ? { clean: 'true' } : {}), ...(values['extra-views'] ? { extra_views: values['extra-views'] } : {}), ...(Number(values.hysteresis) ? { hysteresis: values.hysteresis! } : {}), steps: values.steps!, held_out_bpt: String(last.heldOutBpt) }));
console.log(`wrote ${values.out}`);
