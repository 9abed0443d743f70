/**
 * L_id, an identity-feature term not in STEP: how far a trained, frozen
 * GaitTAKE identity model (src/identity) places a reconstruction from the walk
 * it reconstructs. L_o weighs every centimetre alike, so a reconstruction close
 * in metres can lose its walker; L_id weighs the differences the identity model
 * reads identity from. The model is only read (inference mode, its weights not
 * among the generator's variables).
 *   L_id = mean over gaits and heads h of ‖e_h(x̂) − e_h(x)‖²,
 * e_h the model's unit-length head embeddings of the gait mapped back to metres
 * (x · s + m) and prepared as the identity model prepares walks (frame-0 root
 * at the origin, every `frameStride`-th frame; the generator's gaits already
 * walk along +Z, as the identity model's canonical view would turn them).
 */
import * as tf from '@tensorflow/tfjs';
import { GaitforgeError } from '../core/errors.js';
import { GaitTakeModel, identityPreprocess, loadIdentityModel } from '../identity/model.js';

/** A loaded identity model as a loss term. Holds tensors: `dispose()` it. */
export interface IdentityFeatureTerm {
  /** The identity model directory, as given. */
  readonly dir: string;
  /** Hash of its model.json and weights.bin. */
  readonly checkpointHash: string;
  /** L_id for standardised gaits x and reconstructions x̂: [N, T, V, 3]. Creates tensors (call inside tidy/variableGrads). */
  term(x: tf.Tensor4D, xHat: tf.Tensor4D): tf.Scalar;
  dispose(): void;
}

/**
 * Loads the GaitTAKE model in `dir` as L_id for a generator of gaits
 * [T, V, 3] standardised by (mean [T, V, 3] flat, scale). Throws E_MODEL
 * when `dir` is not a GaitTAKE model for such gaits.
 */
export async function loadIdentityFeatureTerm(dir: string, norm: { mean: ArrayLike<number>; scale: number }, T: number, V: number): Promise<IdentityFeatureTerm> {
  const loaded = await loadIdentityModel(dir);
  if (!(loaded instanceof GaitTakeModel)) {
    loaded.dispose();
    throw new GaitforgeError('E_MODEL', `identity feature model ${dir} is an ${loaded.kind} model; the identity-feature term needs a GaitTAKE model (train-identity --model gaittake)`);
  }
  const { meta, model } = loaded;
  const want = identityPreprocess(V);
  const problem = meta.T !== T || meta.V !== V
    ? `takes gaits of T = ${meta.T}, V = ${meta.V}; the generator's are T = ${T}, V = ${V}`
    : meta.preprocess?.centre !== want.centre || meta.preprocess?.view !== want.view || meta.preprocess?.scale === 'height'
      ? `prepares walks as ${JSON.stringify(meta.preprocess)}, not as the identity models of this version do (${JSON.stringify(want)})`
      : null;
  if (problem) {
    loaded.dispose();
    throw new GaitforgeError('E_MODEL', `identity feature model ${dir} ${problem}`);
  }
  const mean = tf.tensor4d(Float32Array.from(norm.mean), [1, T, V, 3]);
  const { modelT, frameStride } = meta;
  const heads = meta.config.heads;
  const embed = (x: tf.Tensor4D): tf.Tensor => {
    const N = x.shape[0];
    const metres = tf.add(tf.mul(x, norm.scale), mean);
    const centred = tf.sub(metres, tf.slice(metres, [0, 0, 0, 0], [-1, 1, 1, 3]));
    // every frameStride-th frame by pad, reshape and slice (a gather's gradient has no wasm kernel)
    const padded = tf.pad(centred, [[0, 0], [0, modelT * frameStride - T], [0, 0], [0, 0]]);
    const prepared = tf.slice(padded.reshape([N, modelT, frameStride, V, 3]), [0, 0, 0, 0, 0], [N, modelT, 1, V, 3]).reshape([N, modelT, V, 3]);
    return (model.apply(prepared, { training: false }) as tf.Tensor[])[0]!;
  };
  return {
    dir,
    checkpointHash: loaded.checkpointHash,
    term(x, xHat) {
      const d = tf.sub(embed(xHat), embed(x));
      return tf.div(tf.sum(tf.square(d)), x.shape[0] * heads) as tf.Scalar;
    },
    dispose() {
      mean.dispose();
      loaded.dispose();
    },
  };
}
