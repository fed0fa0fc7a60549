package livetalk.model.vae;

import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * A causal 3-D convolution (docs/model.md#vae-building-blocks): declared padding {@code (pt, ph, pw)} becomes {@code 2·pt}
 * zero frames in front only and {@code ph}/{@code pw} on both spatial sides.
 *
 * <p>Streaming: the conv keeps the last {@link #CACHE_T} frames of its input sequence. A call
 * convolves [cached frames, new frames] and pads with {@code 2·pt − cached} zero frames, exactly as
 * the official feature cache does, so feeding a sequence in any chunking gives the same output as
 * one call over the whole sequence. Convs without time padding (1×1×1) keep no cache.
 */
final class CausalConv3d implements Streaming {
    /** Frames of history kept per conv ({@code CACHE_T} in wan/modules/vae.py). */
    static final int CACHE_T = 2;

    private final Backend backend;
    private final String name;
    private final Conv3dSpec spec;
    private final Weight weight, bias;
    private Buf cache;            // [CACHE_T, cin, h, w]
    private int cached;           // frames held in the cache (0 after reset)
    private int cacheH, cacheW;

    private CausalConv3d(Backend backend, String name, Conv3dSpec spec, Weight weight, Weight bias) {
        this.backend = backend;
        this.name = name;
        this.spec = spec;
        this.weight = weight;
        this.bias = bias;
    }

    /** Loads {@code prefix.weight [out, in, kt, kh, kw]} and {@code prefix.bias}, with the declared padding {@code (pt, ph, pw)}. */
    static CausalConv3d load(Checkpoint ckpt, String prefix, Backend backend, int pt, int ph, int pw) {
        Tensor w = ckpt.get(prefix + ".weight");
        if (w.rank() != 5) {
            throw new CheckpointException(ckpt.path() + ": tensor '" + prefix + ".weight' has shape " + java.util.Arrays.toString(w.shape())
                    + ", expected a 5-D Conv3d weight [out, in, kt, kh, kw]");
        }
        Tensor b = ckpt.get(prefix + ".bias");
        Conv3dSpec spec = Conv3dSpec.of((int) w.dim(1), (int) w.dim(0), (int) w.dim(2), (int) w.dim(3), (int) w.dim(4), 2 * pt, ph, pw);
        return new CausalConv3d(backend, prefix, spec, backend.weight(w), backend.weight(b));
    }

    int cin() {
        return spec.cin();
    }

    int cout() {
        return spec.cout();
    }

    Conv3dSpec spec() {
        return spec;
    }

    private record History(Buf cache, int cached, int h, int w) {
    }

    @Override
    public Object saveHistory() {
        return new History(cache, cached, cacheH, cacheW);
    }

    @Override
    public void restoreHistory(Object history) {
        if (history instanceof History hs) {
            cache = hs.cache();
            cached = hs.cached();
            cacheH = hs.h();
            cacheW = hs.w();
        } else {
            cache = null;          // another session may hold the old buffer: start a new one
            cached = 0;
        }
    }

    @Override
    public void freeHistory(Object history) {
        if (history instanceof History hs && hs.cache() != null) backend.free(hs.cache());
    }

    @Override
    public long historyBytes() {
        return cache == null ? 0 : cache.size() * cache.dtype().byteSize();
    }

    /** Forgets the history (the official {@code clear_cache}). */
    void reset() {
        cached = 0;
    }

    /** Frees the history buffer and drops the weights' device copies (see {@link VaeBlock#release}). */
    void release() {
        if (cache != null) backend.free(cache);
        cache = null;
        cached = 0;
        backend.release(weight);
        backend.release(bias);
    }

    /** Output shape for an input of {@code frames} frames following the current history. */
    int outFrames(int frames) {
        return spec.padFront() == 0 ? spec.outFrames(frames) : spec.withPadFront(spec.padFront() - cached).outFrames(cached + frames);
    }

    /** x {@code [T, cin, H, W]} → out slot {@code [T', cout, H', W']}, then remembers the input's last frames. */
    Activation forward(Activation x, Buf outBuf) {
        return forward(x, outBuf, null);
    }

    /**
     * {@link #forward} plus {@code residual} (null for none; float32 {@code [T', cout, H', W']},
     * overlapping neither x nor the out slot), added by the backend's {@link Backend#conv3dResidual},
     * which may add it in the convolution's epilogue: a shortcut convolution adding the residual
     * branch of its block.
     */
    Activation forward(Activation x, Buf outBuf, Buf residual) {
        check(x);
        if (spec.padFront() == 0) {
            // 1×1×1 (or any conv without time padding): no history, as in the official forward.
            Activation out = shaped(outBuf, spec.outFrames(x.frames()), x);
            conv(null, 0, x, out, spec, residual);
            return out;
        }
        requireSameSize(x);
        Conv3dSpec s = spec.withPadFront(spec.padFront() - Math.min(cached, spec.padFront()));
        int hist = Math.min(cached, spec.padFront());
        Activation out = shaped(outBuf, s.outFrames(hist + x.frames()), x);
        Buf h = hist == 0 ? null : cache.view((long) (cached - hist) * x.frameSize(), hist * x.frameSize());
        conv(h, hist, x, out, s, residual);
        remember(x);
        return out;
    }

    /** The backend's convolution of [h's frames, x] into out, plus residual when there is one. */
    private void conv(Buf h, int hist, Activation x, Activation out, Conv3dSpec s, Buf residual) {
        if (residual == null) backend.conv3d(h, hist, x.buf(), x.frames(), x.h(), x.w(), out.buf(), s, weight, bias);
        else backend.conv3dResidual(h, hist, x.buf(), x.frames(), x.h(), x.w(), out.buf(), residual, s, weight, bias);
    }

    /**
     * x {@code [T, cin, H, W]} → {@code SiLU(norm(x))} → this conv → out slot, remembering the normed
     * input's last frames: what {@code norm.forward(backend, x, normed, true)} then {@link #forward}
     * compute, as one backend call that a device may fuse ({@link Backend#conv3dNormSilu}: on CUDA
     * the norm is applied as the convolution's operand copy is written, and the normed input is
     * never stored in float32). {@code normed}: float32 room for the normed input, x's size or more;
     * it may be x's own buffer (normalised in place); x is not to be read afterwards then.
     * {@code residual}: null, or float32 of the output's size added to it (a residual block's
     * input, which the backend may add in the convolution's epilogue); it overlaps none of x,
     * normed and the out slot.
     */
    Activation forwardNormSilu(Activation x, VaeNorm norm, Buf normed, Buf outBuf, Buf residual) {
        check(x);
        Activation y = new Activation(normed.view(0, x.buf().size()), x.frames(), x.channels(), x.h(), x.w());
        if (spec.padFront() < CACHE_T) {
            // a conv that keeps no history, or fewer frames than it caches (none such follows a norm in the Wan VAE)
            norm.forward(backend, x, y.buf(), true);
            return forward(y, outBuf, residual);
        }
        requireSameSize(x);
        long fs = x.frameSize();
        if (cache == null || cache.size() != CACHE_T * fs) {
            cache = backend.alloc(CACHE_T * fs, backend.productInputDtype());
            cached = 0;
        }
        // padFront ≥ CACHE_T ≥ cached: every cached frame is history, as in forward
        Conv3dSpec s = spec.withPadFront(spec.padFront() - cached);
        Activation out = shaped(outBuf, s.outFrames(cached + x.frames()), x);
        backend.conv3dNormSilu(cache, cached, CACHE_T, x.buf(), x.frames(), x.h(), x.w(), norm.gamma(), VaeNorm.EPS, y.buf(), out.buf(),
                residual, s, weight, bias);
        cached = Math.min(CACHE_T, cached + x.frames());
        cacheH = x.h();
        cacheW = x.w();
        return out;
    }

    private void requireSameSize(Activation x) {
        if (cached > 0 && (cacheH != x.h() || cacheW != x.w())) {
            throw new IllegalStateException(name + ": frame size changed from " + cacheH + "x" + cacheW + " to " + x.h() + "x" + x.w()
                    + " without a reset");
        }
    }

    /** Output activation over {@code outBuf} for this conv applied to frames shaped like {@code x}. */
    private Activation shaped(Buf outBuf, int frames, Activation x) {
        int h = spec.outH(x.h()), w = spec.outW(x.w());
        return new Activation(outBuf.view(0, (long) frames * spec.cout() * h * w), frames, spec.cout(), h, w);
    }

    /** Output size in floats for an input shaped like {@code x}. */
    long outSize(Activation x) {
        return (long) outFrames(x.frames()) * spec.cout() * spec.outH(x.h()) * spec.outW(x.w());
    }

    /**
     * Cache ← the last CACHE_T frames of [cache, x]. The cache is in the backend's {@link
     * Backend#productInputDtype()}: bf16 where the convolution rounds its input to bf16 anyway
     * (CUDA), which holds the same values in half the memory.
     */
    private void remember(Activation x) {
        long fs = x.frameSize();
        if (cache == null || cache.size() != CACHE_T * fs) {
            cache = backend.alloc(CACHE_T * fs, backend.productInputDtype());
            cached = 0;
        }
        cacheH = x.h();
        cacheW = x.w();
        int t = x.frames();
        if (t >= CACHE_T) {
            store(x.frames(t - CACHE_T, CACHE_T).buf(), cache);
            cached = CACHE_T;
        } else if (cached == 0) {
            store(x.buf(), cache.view(0, t * fs));
            cached = t;
        } else {
            // t == 1 and CACHE_T == 2: keep the newest cached frame, then append x.
            if (cached == 2) backend.copy(cache.view(fs, fs), cache.view(0, fs));
            store(x.buf(), cache.view(fs, fs));
            cached = 2;
        }
    }

    /** float32 frames into the cache, in its dtype. */
    private void store(Buf frames, Buf into) {
        if (into.dtype() == livetalk.tensor.DType.BF16) backend.toBf16(frames, into);
        else backend.copy(frames, into);
    }

    private void check(Activation x) {
        if (x.channels() != spec.cin()) {
            throw new IllegalArgumentException(name + ": input has " + x.channels() + " channels, the weight expects " + spec.cin());
        }
    }
}
