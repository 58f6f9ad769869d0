// Familiarity on the published page: the same score as primer_lib.familiarity (nbs/28_familiarity.ipynb) computes in Python.
// features: the ONNX model's average-pooled body features of ONE image (its `features` output: an array or Float32Array).
// facts: what primer_lib.familiarity.page_familiarity(model) returns: prototypes (unit vectors), threshold, message.
// Returns {familiarity, unfamiliar, message}: the cosine similarity of the features to the nearest prototype,
// whether it is below the threshold, and the line to show above the bars when it is (else ''); null without facts.
function familiarity(features, facts) {
  if (!facts || facts.threshold === null || facts.threshold === undefined) return null;
  const n = facts.prototypes.length ? facts.prototypes[0].length : features.length;
  if (features.length !== n) throw new Error(`familiarity: ${features.length} features, but the facts expect ${n}: publish the model again.`);
  let norm = 0;
  for (let i = 0; i < n; i++) norm += features[i] * features[i];
  norm = Math.max(Math.sqrt(norm), 1e-12);  // as torch's F.normalize
  let best = -Infinity;
  for (const p of facts.prototypes) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += features[i] * p[i];
    best = Math.max(best, dot / norm);
  }
  const unfamiliar = best < facts.threshold;
  return {familiarity: best, unfamiliar, message: unfamiliar ? facts.message : ''};
}
if (typeof module !== 'undefined' && module.exports) module.exports = {familiarity};
