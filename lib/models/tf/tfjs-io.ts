/**
 * Quorum `mlp` / `linear` artifacts as TensorFlow.js models: the same network as a Keras-style
 * `Sequential` of `Dense` layers, through tfjs's `io` handlers (`tf.io.fromMemory`), so that a
 * trained model can be used by anything that reads tfjs models — e.g. `tf.loadLayersModel` in a
 * browser, or `model.save('file://…')` with tfjs-node.
 *
 * Training does not go through `tf.LayersModel` (see backprop.ts for why), but the weight layout
 * is the one of a tfjs dense kernel (fan-in × fan-out), so the conversion only wraps the arrays.
 * Differences from `NetModel.predict`: a binary model answers one column (P(class 1)); a
 * regression model's target scaling is folded into the last layer (`std · w`, `std · b + mean`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Artifact } from '../../core/container';
import { expectArtifact } from '../../core/container';
import { layerSizes } from './net-spec';
import { NET_FORMAT_VERSION, specOf, weightsOf } from './net-artifact';

/** tfjs `ModelArtifacts` (topology JSON, weight specs, weight bytes) of a Quorum network artifact. */
export function toTfjsArtifacts(artifact: Artifact): tf.io.ModelArtifacts {
  expectArtifact(artifact, artifact.kind, NET_FORMAT_VERSION);
  const spec = specOf(artifact, artifact.kind);
  const weights = weightsOf(artifact, spec, artifact.kind);
  const sizes = layerSizes(spec);
  const last = sizes.length - 2;
  const target = artifact.header.target as { mean: number; std: number } | undefined;
  if (spec.output === 'identity' && target) {
    // Fold `mean + std · z` into the output layer, which is linear.
    weights.w[last] = weights.w[last].map((v) => v * target.std);
    weights.b[last] = weights.b[last].map((v) => v * target.std + target.mean);
  }
  const outputActivation = spec.output === 'identity' ? 'linear' : spec.output;
  const layers = weights.w.map((_, l) => ({
    class_name: 'Dense',
    config: {
      name: `dense_${l}`,
      units: sizes[l + 1],
      activation: l === last ? outputActivation : spec.activation,
      use_bias: true,
      trainable: true,
      dtype: 'float32',
      ...(l === 0 ? { batch_input_shape: [null, spec.inputs] } : {}),
    },
  }));
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const parts: Float32Array[] = [];
  weights.w.forEach((w, l) => {
    weightSpecs.push({ name: `dense_${l}/kernel`, shape: [sizes[l], sizes[l + 1]], dtype: 'float32' });
    weightSpecs.push({ name: `dense_${l}/bias`, shape: [sizes[l + 1]], dtype: 'float32' });
    parts.push(w, weights.b[l]);
  });
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: `quorum_${artifact.kind}`, layers },
      keras_version: `tfjs-layers ${tf.version_layers}`,
      backend: 'tensor_flow.js',
    },
    weightSpecs,
    weightData: data.buffer,
    format: 'layers-model',
    generatedBy: `Quorum ${artifact.kind} artifact format ${artifact.formatVersion}`,
  };
}

/** The artifact as a `tf.LayersModel`, loaded through the `tf.io.fromMemory` handler. Dispose it when done. */
export function toLayersModel(artifact: Artifact): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(artifact)));
}
