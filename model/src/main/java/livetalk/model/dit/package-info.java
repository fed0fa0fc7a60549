/**
 * The causal DiT: configuration, blocks, attention, RoPE, time embedding, audio projection and the
 * KV cache, loaded by the official state-dict names (docs/model.md#dit). Uses tensor, kernels and io;
 * the sampler and the commands use it.
 */
package livetalk.model.dit;
