package livetalk.model.dit;

import livetalk.kernels.Buf;

/**
 * The prompt-dependent part of a DiT call, computed once per prompt (docs/model.md#dit-block "Caching"): the
 * embedded context {@code [L, D]} and every layer's cross-attention K and V {@code [L, D]} (in the
 * backend's {@code productInputDtype}: bf16 on CUDA).
 */
public final class TextCache {
    final int length;
    final Buf embedded;
    final Buf[] k, v;

    TextCache(int length, Buf embedded, Buf[] k, Buf[] v) {
        this.length = length;
        this.embedded = embedded;
        this.k = k;
        this.v = v;
    }

    /** Text positions L. */
    public int length() {
        return length;
    }

    /** Device bytes held: the embedded context and every layer's K and V. */
    public long bytes() {
        long n = embedded.size() * embedded.dtype().byteSize();
        for (int i = 0; i < k.length; i++) n += (k[i].size() + v[i].size()) * k[i].dtype().byteSize();
        return n;
    }

    /** {@code text_embedding(context)}, {@code [L, D]}. */
    public Buf embedded() {
        return embedded;
    }
}
