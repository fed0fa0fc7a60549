package livetalk.model.dit;

import java.util.Arrays;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.tensor.DType;

/**
 * The self-attention KV cache of all DiT layers with identity sinks and a rolling window
 * (docs/sampler.md#kv-cache, docs/sampler.md#identity-sinks): per layer K (after RoPE) and V, each {@code [capacity, D]} with
 * {@code capacity = localAttnFrames · frameSeqLength} tokens. The first {@code sinkFrames} frames
 * ever written are never evicted; the rest rolls. Positions are absolute: a cached key keeps the
 * RoPE rotation of the frame it was computed for.
 *
 * <p>Every layer follows the same index arithmetic, so the indices are kept once here:
 * {@code globalEnd} (absolute token index one past the last token written) and {@code localEnd}
 * (slot one past the last occupied slot). A DiT call first calls {@link #beginCall}, which rolls
 * the window if needed and moves the indices, then each layer writes its new tokens into
 * {@link #writeStart()}..{@link #localEnd()} and attends over slots {@code [0, localEnd)}.
 *
 * <p>Storage dtype, chosen once per cache: bf16 by default ({@link #DEFAULT_DTYPE}), as the
 * reference run stores its cache (docs/sampler.md#geometry), at half the memory (2.8 instead of 5.7 GB for
 * the full window); float32 for parity runs, which compare against float32 golden data. With bf16
 * storage a layer computes its new K and V in float32 staging buffers ({@link #newKeys}),
 * {@link #store} rounds them into the slots, and the attention kernel widens them as it reads.
 *
 * <p>The official read slice is {@code [max(0, localEnd − localAttnFrames·1024), localEnd)}; with
 * at most 1024 tokens per frame (512×512 and below) that is every valid slot, which is what this
 * class attends to.
 */
public final class KvCache {
    private final Backend backend;
    private final int layers, dim, frameSeqLength, localAttnFrames, sinkFrames, capacity;
    /** The storage dtype generation uses: bf16, the reference run's cache dtype. */
    public static final DType DEFAULT_DTYPE = DType.BF16;

    private final DType dtype;
    private final Buf[] k, v;
    /** bf16 storage only: float32 {@code [n, D]} buffers the current call's K and V are computed in (grown on demand). */
    private Buf stageK, stageV;
    /** Absolute token index held by each slot (−1 when empty): bookkeeping for tests and debugging. */
    private final long[] slotToken;
    private long globalEnd;
    private int localEnd, newTokens;

    /**
     * @param dtype storage of K and V: F32, or BF16 (rounded to nearest even when written,
     *              widened inside the attention kernel)
     */
    public KvCache(Backend backend, int layers, int dim, int frameSeqLength, int localAttnFrames, int sinkFrames, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16) throw new IllegalArgumentException("KV cache dtype " + dtype + " (F32 or BF16)");
        this.dtype = dtype;
        if (sinkFrames < 0 || sinkFrames >= localAttnFrames) {
            throw new IllegalArgumentException("sinkFrames " + sinkFrames + " must be in [0, localAttnFrames=" + localAttnFrames + ")");
        }
        this.backend = backend;
        this.layers = layers;
        this.dim = dim;
        this.frameSeqLength = frameSeqLength;
        this.localAttnFrames = localAttnFrames;
        this.sinkFrames = sinkFrames;
        this.capacity = localAttnFrames * frameSeqLength;
        this.k = new Buf[layers];
        this.v = new Buf[layers];
        for (int i = 0; i < layers; i++) {
            k[i] = backend.alloc((long) capacity * dim, dtype);
            v[i] = backend.alloc((long) capacity * dim, dtype);
        }
        slotToken = new long[capacity];
        reset();
    }

    /** Empties the cache (a new video). */
    public void reset() {
        globalEnd = 0;
        localEnd = 0;
        newTokens = 0;
        Arrays.fill(slotToken, -1);
    }

    /**
     * Prepares the write of {@code n} tokens starting at absolute token {@code currentStart}
     * (docs/sampler.md#kv-cache): on the first call of a new block ({@code currentStart + n > globalEnd}) with a
     * full cache, evicts the oldest non-sink tokens by moving the rolling part down; then moves
     * the indices. Later calls of the same block overwrite the same slots.
     */
    public void beginCall(long currentStart, int n) {
        long currentEnd = currentStart + n;
        int sinkTokens = sinkFrames * frameSeqLength;
        int newLocalEnd;
        if (currentEnd > globalEnd && localEnd + n > capacity) {
            int evicted = localEnd + n - capacity;
            int rolled = localEnd - evicted - sinkTokens;
            if (rolled < 0) {
                throw new IllegalArgumentException(n + " new tokens do not fit a cache of " + capacity + " tokens with "
                        + sinkTokens + " sink tokens");
            }
            move(sinkTokens + evicted, sinkTokens, rolled);
            newLocalEnd = (int) (localEnd + (currentEnd - globalEnd) - evicted);
        } else {
            newLocalEnd = (int) (localEnd + (currentEnd - globalEnd));
        }
        if (newLocalEnd - n < 0 || newLocalEnd > capacity) {
            throw new IllegalStateException("KV write [" + (newLocalEnd - n) + ", " + newLocalEnd + ") outside the cache of " + capacity
                    + " (currentStart " + currentStart + ", globalEnd " + globalEnd + ")");
        }
        for (int i = 0; i < n; i++) slotToken[newLocalEnd - n + i] = currentStart + i;
        globalEnd = currentEnd;
        localEnd = newLocalEnd;
        newTokens = n;
    }

    /**
     * Moves {@code count} token rows from slot {@code from} down to slot {@code to} in every layer.
     * Copies in chunks no longer than the distance so no chunk overlaps its own source (safe on any
     * backend's copy).
     */
    private void move(int from, int to, int count) {
        if (count <= 0) return;
        int step = from - to;
        for (int done = 0; done < count; done += step) {
            int len = Math.min(step, count - done);
            for (int l = 0; l < layers; l++) {
                backend.copy(k[l].view((long) (from + done) * dim, (long) len * dim), k[l].view((long) (to + done) * dim, (long) len * dim));
                backend.copy(v[l].view((long) (from + done) * dim, (long) len * dim), v[l].view((long) (to + done) * dim, (long) len * dim));
            }
            System.arraycopy(slotToken, from + done, slotToken, to + done, len);
        }
        Arrays.fill(slotToken, to + count, from + count, -1);
    }

    /** The slots the current call writes: {@code [writeStart(), localEnd())}. */
    public int writeStart() {
        return localEnd - newTokens;
    }

    /**
     * Where layer {@code l} computes the current call's new keys, float32 {@code [n, D]}: the cache
     * slots themselves for a float32 cache, else a staging buffer that {@link #store} rounds into the slots.
     */
    public Buf newKeys(int l) {
        return dtype == DType.F32 ? slots(k[l]) : staging(true);
    }

    public Buf newValues(int l) {
        return dtype == DType.F32 ? slots(v[l]) : staging(false);
    }

    /**
     * Makes layer {@code l}'s new keys and values (written into {@link #newKeys} and {@link #newValues})
     * part of the cache: converts them into the slots when the cache is bf16, nothing to do for float32.
     */
    public void store(int l) {
        if (dtype == DType.F32) return;
        backend.toBf16(staging(true), slots(k[l]));
        backend.toBf16(staging(false), slots(v[l]));
    }

    /**
     * Layer {@code l}'s slots of the current call's keys in the cache's own dtype, {@code [n, D]}:
     * where a backend that writes bf16 directly ({@code Backend.fusesNormRope}) puts them instead of
     * {@link #newKeys} and {@link #store}.
     */
    public Buf keySlots(int l) {
        return slots(k[l]);
    }

    /** As {@link #keySlots}, for the values. */
    public Buf valueSlots(int l) {
        return slots(v[l]);
    }

    private Buf slots(Buf layer) {
        return layer.view((long) writeStart() * dim, (long) newTokens * dim);
    }

    /**
     * The staging buffer for K or V, viewed at this call's size (all layers share it: they run one
     * after another), made on first use: a backend that writes V straight into the slots never asks for V's.
     */
    private Buf staging(boolean key) {
        long n = (long) newTokens * dim;
        Buf b = key ? stageK : stageV;
        if (b == null || b.size() < n) {
            free(b);
            b = backend.alloc(n);
            if (key) stageK = b;
            else stageV = b;
        }
        return b.view(0, n);
    }

    /**
     * Gives the cache's device memory back now (2.8 GB for the official window in bf16) instead of
     * when the cache is collected, which for device memory may be never. The cache must not be
     * used afterwards; work already issued on it completes first.
     */
    public void free() {
        for (int i = 0; i < layers; i++) {
            free(k[i]);
            free(v[i]);
            k[i] = v[i] = null;
        }
        free(stageK);
        free(stageV);
        stageK = stageV = null;
    }

    private void free(Buf b) {
        if (b != null) backend.free(b);
    }

    /** Device bytes held: K and V of every layer and the staging buffers. */
    public long bytes() {
        long n = 0;
        for (int i = 0; i < layers; i++) {
            if (k[i] != null) n += k[i].size() * dtype.byteSize() + v[i].size() * dtype.byteSize();
        }
        if (stageK != null) n += 4 * stageK.size();
        if (stageV != null) n += 4 * stageV.size();
        return n;
    }

    /** Layer {@code l}'s valid keys, {@code [localEnd, D]}, post-RoPE. */
    public Buf keys(int l) {
        return k[l].view(0, (long) localEnd * dim);
    }

    public Buf values(int l) {
        return v[l].view(0, (long) localEnd * dim);
    }

    /** The storage dtype of K and V. */
    public DType dtype() {
        return dtype;
    }

    public long globalEnd() {
        return globalEnd;
    }

    public int localEnd() {
        return localEnd;
    }

    public int capacity() {
        return capacity;
    }

    public int layers() {
        return layers;
    }

    public int dim() {
        return dim;
    }

    public int frameSeqLength() {
        return frameSeqLength;
    }

    public int sinkFrames() {
        return sinkFrames;
    }

    public int localAttnFrames() {
        return localAttnFrames;
    }

    /** Absolute token index in each valid slot, {@code [localEnd]}. */
    public long[] slotTokens() {
        return Arrays.copyOf(slotToken, localEnd);
    }
}
