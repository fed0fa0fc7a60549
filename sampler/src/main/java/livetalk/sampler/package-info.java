/**
 * The sampler: the flow-matching schedule, noise sources, the block loop with its KV cache policy
 * and the streaming pipeline that overlaps denoising and decoding (docs/sampler.md). Uses model,
 * kernels and tensor; the commands use it.
 */
package livetalk.sampler;
