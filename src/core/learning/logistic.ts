/**
 * L2-regularised logistic regression on standardised features (full-batch gradient
 * descent, intercept unpenalised), Platt calibration and the AUC. Hand-written because
 * the JS package for it (ml-logistic-regression 2.0) has no intercept, no regularisation,
 * a step that grows with the number of rows and no probability output on its exported
 * class; see docs/perf-log.md for the measurement on the same synthetic shop.
 */

export interface LogisticModel {
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** Platt scaling of the model's logit: p = σ(a·z + b). */
  platt: { a: number; b: number };
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export function fitLogistic(
  x: readonly number[][],
  y: readonly number[],
  opts: { l2?: number; iterations?: number } = {},
) {
  const n = x.length;
  const d = x[0]?.length ?? 0;
  const l2 = opts.l2 ?? 1e-3;
  const iterations = opts.iterations ?? 400;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const row of x) for (let j = 0; j < d; j++) mean[j]! += row[j]! / n;
  for (const row of x) for (let j = 0; j < d; j++) scale[j]! += (row[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const z = x.map((row) => row.map((v, j) => (v - mean[j]!) / scale[j]!));
  const w = new Array<number>(d).fill(0);
  let b = 0;
  const grad = new Array<number>(d);
  // Standardised features make one step size fit every shop: the loss is a mean, so the
  // step does not grow with the rows.
  const rate = 0.5;
  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const row = z[i]!;
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * row[j]!;
      const err = sigmoid(s) - y[i]!;
      gb += err;
      for (let j = 0; j < d; j++) grad[j]! += err * row[j]!;
    }
    for (let j = 0; j < d; j++) w[j]! -= rate * (grad[j]! / n + l2 * w[j]!);
    b -= rate * (gb / n);
  }
  return { mean, scale, weights: w, bias: b };
}

export function logit(m: Omit<LogisticModel, "platt">, row: readonly number[]): number {
  let s = m.bias;
  for (let j = 0; j < m.weights.length; j++) s += m.weights[j]! * ((row[j]! - m.mean[j]!) / m.scale[j]!);
  return s;
}

export function predict(m: LogisticModel, row: readonly number[]): number {
  return sigmoid(m.platt.a * logit(m, row) + m.platt.b);
}

/** Platt scaling: a one-feature logistic regression of the labels on held-out logits. */
export function fitPlatt(logits: readonly number[], y: readonly number[]): { a: number; b: number } {
  let a = 1;
  let b = 0;
  const n = logits.length;
  for (let it = 0; it < 300; it++) {
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const err = sigmoid(a * logits[i]! + b) - y[i]!;
      ga += err * logits[i]!;
      gb += err;
    }
    a -= (0.5 * ga) / n;
    b -= (0.5 * gb) / n;
  }
  return { a, b };
}

/** The area under the ROC curve (ties counted half): the chance a positive outranks a negative. */
export function auc(scores: readonly number[], y: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((p, q) => scores[p]! - scores[q]!);
  let rankSum = 0;
  let positives = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (y[idx[k]!] === 1) {
        rankSum += rank;
        positives++;
      }
    i = j + 1;
  }
  const negatives = idx.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The mean squared error of probabilities (calibration and sharpness together). */
export function brier(p: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - y[i]!) ** 2;
  return p.length ? s / p.length : 0;
}
