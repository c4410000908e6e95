// Hot-path counters and histograms. prom-client's inc/observe build a label hash string and
// validate the label object on every call (about 1 µs each, six a gateway request). A cell is
// bound once to one label combination: later calls add to prom-client's own stored value for
// it, with the arithmetic prom-client does, so /metrics reads exactly the same. The stored
// value is prom-client's internal record (version pinned in package.json; metric-cells.test.ts
// proves the output equal to plain calls); whenever it is not where the cell left it (a reset,
// a remove, exemplars, an unexpected shape), the cell takes the public call instead.
import type { Counter, Histogram } from 'prom-client';

interface CounterRecord {
  value: number;
}
interface HistogramRecord {
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}
/** The internal fields a cell relies on; checked before every use. */
interface Internals<R> {
  hashMap?: Record<string, R>;
  enableExemplars?: boolean;
  upperBounds?: readonly number[];
}

type Labels<L extends string> = Partial<Record<L, string | number>>;

function sameLabels(stored: unknown, labels: Record<string, unknown>): boolean {
  if (!stored || typeof stored !== 'object') return false;
  const names = Object.keys(labels);
  if (Object.keys(stored).length !== names.length) return false;
  const values = stored as Record<string, unknown>;
  return names.every((name) => name in values && String(values[name]) === String(labels[name]));
}

export class CounterCell<L extends string> {
  private key: string | undefined;
  private record: CounterRecord | undefined;

  constructor(
    private readonly counter: Counter<L>,
    private readonly labels: Labels<L>,
  ) {}

  inc(value = 1): void {
    const internals = this.counter as unknown as Internals<CounterRecord>;
    const record = this.record;
    // Finite and not negative: the values prom-client adds without complaint.
    if (
      record !== undefined &&
      internals.hashMap?.[this.key!] === record &&
      Number.isFinite(value) &&
      value >= 0
    ) {
      record.value += value;
      return;
    }
    // prom-client's inc answers the record's key (its typings say void).
    const done = this.counter.inc(this.labels, value) as unknown as { labelHash?: unknown } | undefined;
    const labelHash = typeof done?.labelHash === 'string' ? done.labelHash : undefined;
    const found =
      internals.enableExemplars || labelHash === undefined ? undefined : internals.hashMap?.[labelHash];
    this.key = labelHash;
    this.record = typeof found?.value === 'number' ? found : undefined;
  }
}

export class HistogramCell<L extends string> {
  private key: string | undefined;
  private record: HistogramRecord | undefined;
  private bounds: readonly number[] | undefined;
  // The bucket records' property names, converted once (a fraction's String() is not cheap).
  private bucketKeys: string[] | undefined;
  private searched = false;

  constructor(
    private readonly histogram: Histogram<L>,
    private readonly labels: Labels<L>,
  ) {}

  observe(value: number): void {
    const internals = this.histogram as unknown as Internals<HistogramRecord>;
    const record = this.record;
    if (record !== undefined && internals.hashMap?.[this.key!] === record && Number.isFinite(value)) {
      // prom-client's observe: the first bound at or above the value, none above the last.
      const bounds = this.bounds!;
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]!) {
          record.sum += value;
          record.count += 1;
          const key = this.bucketKeys![i]!;
          record.bucketValues[key] = record.bucketValues[key]! + 1;
          return;
        }
      }
      record.sum += value;
      record.count += 1;
      return;
    }
    this.histogram.observe(this.labels, value);
    // One search after the first call or a reset; a cell that found no record stays plain.
    if (record !== undefined || !this.searched) this.bind(internals);
  }

  /** Finds the record prom-client keeps for this cell's labels (whoever observed them first). */
  private bind(internals: Internals<HistogramRecord>): void {
    this.searched = true;
    this.record = undefined;
    const map = internals.hashMap;
    if (!map || internals.enableExemplars || !Array.isArray(internals.upperBounds)) return;
    for (const key of Object.keys(map)) {
      const found = map[key] as (HistogramRecord & { labels?: unknown }) | undefined;
      if (
        found &&
        sameLabels(found.labels, this.labels) &&
        typeof found.sum === 'number' &&
        typeof found.bucketValues === 'object'
      ) {
        this.key = key;
        this.record = found;
        this.bounds = internals.upperBounds;
        this.bucketKeys = internals.upperBounds.map(String);
        return;
      }
    }
  }
}

type Key = string | number;

/**
 * Cells by label values, looked up without building a string: one map level per label (a
 * number is a key of its own, so a status needs no String() per call). Label values come from
 * configuration (models, upstreams, routes) and a few statuses, but the count is capped all
 * the same; beyond it `get` answers undefined and the caller makes the plain prom-client call.
 * One cache serves one arity.
 */
export class CellCache<C> {
  private readonly root = new Map<Key, unknown>();
  private size = 0;

  constructor(
    private readonly make: (values: readonly string[]) => C,
    private readonly cap = 512,
  ) {}

  get(...values: [Key] | [Key, Key] | [Key, Key, Key] | [Key, Key, Key, Key]): C | undefined;
  get(a: Key, b?: Key, c?: Key, d?: Key): C | undefined {
    const depth = d !== undefined ? 4 : c !== undefined ? 3 : b !== undefined ? 2 : 1;
    let level: Map<Key, unknown> | undefined = this.root;
    if (depth > 1) level = this.level(level, a);
    if (depth > 2 && level) level = this.level(level, b!);
    if (depth > 3 && level) level = this.level(level, c!);
    if (!level) return undefined;
    const last = depth === 1 ? a : depth === 2 ? b! : depth === 3 ? c! : d!;
    let cell = level.get(last) as C | undefined;
    if (cell === undefined) {
      if (this.size >= this.cap) return undefined;
      cell = this.make([a, b, c, d].slice(0, depth).map(String));
      level.set(last, cell);
      this.size++;
    }
    return cell;
  }

  private level(parent: Map<Key, unknown>, key: Key): Map<Key, unknown> | undefined {
    let next = parent.get(key) as Map<Key, unknown> | undefined;
    if (next === undefined) {
      if (this.size >= this.cap) return undefined;
      next = new Map();
      parent.set(key, next);
    }
    return next;
  }
}
