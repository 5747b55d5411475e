/**
 * Group commit for one kind of database operation. Calls made while a batch is out gather
 * into the next one, so under load many acts share one round trip (an `insertMany`, a
 * `bulkWrite`, one `$in` read) and alone an act waits for nothing: its batch goes out on
 * the next turn of the event loop. One batch is out at a time, as with the audit writer.
 *
 * Measured on the embedded database (scripts/bench/db-ops.ts): an insert costs FerretDB
 * 0.4 ms and the driver 0.2–0.4 ms of CPU alone, 0.075 / 0.035 ms each inside an
 * `insertMany` of 20; a read by `_id` 0.33 / 0.21 ms alone, 0.07 / 0.03 ms in an `$in` of 20.
 */
export interface Batcher<I, O> {
  (item: I): Promise<O>;
  /** Items waiting or being written (for tests and drains). */
  readonly pending: number;
}

/**
 * `run` gets the items in call order and answers one result per item, in the same order;
 * an `Error` in a slot rejects that caller alone. A rejection of `run` rejects the batch.
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<Array<O | Error>>, opts: { maxBatch?: number } = {}): Batcher<I, O> {
  const maxBatch = opts.maxBatch ?? 200;
  let queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: Error) => void }> = [];
  let out = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || out > 0 || queue.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };

  function flush(): void {
    scheduled = false;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    if (batch.length === 0) return;
    out = batch.length;
    const settle = (results: Array<O | Error> | Error) => {
      out = 0;
      if (!(results instanceof Error) && results.length !== batch.length) {
        results = new Error(`batch answered ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((b, i) => {
        const r = results instanceof Error ? results : results[i]!;
        if (r instanceof Error) b.reject(r);
        else b.resolve(r);
      });
      schedule();
    };
    // Through a promise executor, so a `run` that throws before its first await rejects too.
    new Promise<Array<O | Error>>((resolve) => resolve(run(batch.map((b) => b.item)))).then(settle, (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
  }

  const batcher = (item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
  Object.defineProperty(batcher, "pending", { get: () => queue.length + out });
  return batcher as Batcher<I, O>;
}

/** Split `items` into chunks of `size` (a `$in` the embedded database still pushes down: 500). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
