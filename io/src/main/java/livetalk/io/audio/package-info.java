/**
 * Audio input: WAV reading, resampling to 16 kHz mono, and wav2vec2's clip normalisation
 * (docs/model.md#audio-input). Used by the pipeline's conditioning and by the golden checks.
 */
package livetalk.io.audio;
