/**
 * The operations the networks are written in: the {@link livetalk.kernels.Backend} interface, buffers,
 * weights, and {@link livetalk.kernels.Backends}, which builds a backend from its {@code --device} name
 * (docs/kernels.md#backend-contract). Uses only {@code livetalk.tensor}; the model and everything above may use it.
 */
package livetalk.kernels;
