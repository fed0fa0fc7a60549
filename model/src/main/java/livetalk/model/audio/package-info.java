/**
 * wav2vec2-base with LiveTalk's time interpolation, and the feature vector the DiT's audio projection
 * reads (docs/model.md#wav2vec2). Uses tensor, kernels and io; the pipeline and the commands use it.
 */
package livetalk.model.audio;
