/**
 * The time axis of the clinical charts. uPlot fits the x scale to the data exactly, so a
 * lone reading (or a few taken minutes apart) got a minute-wide axis with ":00 :15 :30"
 * ticks and the point on the left edge. Readings are days to weeks apart: the axis is at
 * least two days wide, centred on the data, and its ticks are whole days or longer.
 */

export const DAY_MS = 86_400_000;

/** The narrowest axis: one day either side of a lone reading. */
export const MIN_SPAN_MS = 2 * DAY_MS;

/**
 * The x range for data from `min` to `max` (ms since the epoch): the data's own range when
 * it spans at least `minSpan`, otherwise `minSpan` wide around the data's middle.
 */
export function timeAxisRange(min: number | null, max: number | null, minSpan = MIN_SPAN_MS): [number | null, number | null] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [min, max];
  if (max - min >= minSpan) return [min, max];
  const mid = (min + max) / 2;
  return [mid - minSpan / 2, mid + minSpan / 2];
}

/**
 * Tick spacings offered to uPlot: its own time ladder from one day up (30-day multiples are
 * stepped as calendar months, 365-day ones as years), never hours or minutes, so every tick
 * reads as a date.
 */
export const DATE_TICK_INCRS: readonly number[] = [
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15].map((d) => d * DAY_MS),
  ...[1, 2, 3, 4, 6].map((m) => m * 30 * DAY_MS),
  ...[1, 2, 5, 10].map((y) => y * 365 * DAY_MS),
];
