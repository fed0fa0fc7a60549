/**
 * The Wan 2.1 causal 3D VAE: encoder and decoder ({@code VaeTower}), its blocks, and the streaming
 * decoder (docs/model.md#vae). Uses tensor, kernels and io; the sampler and the commands use it.
 */
package livetalk.model.vae;
