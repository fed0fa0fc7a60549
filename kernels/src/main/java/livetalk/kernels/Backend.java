package livetalk.kernels;

import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * The operations the networks are written in. One implementation per device: {@code cpu} (Java
 * heap, Vector API, all cores) and {@code opencl}. Activations are float32 {@link Buf}s that stay
 * on the device between calls; weights are {@link Weight}s made resident once.
 *
 * <p>Ops may be called from two threads at once (the streaming pipeline decodes one block while it
 * denoises the next), on different buffers: implementations must be safe for that.
 *
 * <p>Layouts are row-major. "rows × dim" buffers hold one token (or one pixel) per row. An output
 * buffer may be the same as an input buffer where a method says "in place allowed".
 */
public interface Backend extends AutoCloseable {

    /** Short name for messages and benchmarks, e.g. "cpu" or "opencl:NVIDIA H100". */
    String name();

    // ------------------------------------------------------------------ memory

    /** A new zero-filled buffer of {@code n} floats. */
    Buf alloc(long n);

    /**
     * A new zero-filled buffer of {@code n} elements of {@code dtype}: F32 (as {@link #alloc(long)}) or
     * BF16, which takes 2 bytes per element and is storage only (see {@link Buf}).
     */
    Buf alloc(long n, DType dtype);

    /**
     * {@code dst[i] = bf16(src[i])}: float32 to bf16 storage, rounding to nearest even on the upper
     * 16 bits, NaN kept a quiet NaN (bit for bit as {@code livetalk.tensor.Half.f32ToBf16}). src is
     * F32, dst BF16, of the same size.
     */
    void toBf16(Buf src, Buf dst);

    /**
     * The dtype in which model code should allocate the buffers that only carry a GEMM operand
     * from its producer to its product: the modulated norm output before q, k, v and the FFN, the
     * affine norm output before the cross-attention's q, the attention output before its output
     * projection, the FFN's hidden layer. F32 on every backend but CUDA with bf16 operands switched
     * on, which returns BF16: its products round their inputs to bf16 anyway, so a producer that
     * writes bf16 with the same rounding gives bit for bit the same result without a conversion
     * pass (docs/numerics.md#fused-bf16-operands).
     *
     * <p>A backend that can return BF16 (CUDA) accepts a bf16 buffer in these places, and only
     * these, whether or not the switch is on: {@link #linear} and {@link #linearGelu} as x or out,
     * {@link #attention} as q or out (k and v as before), {@link #layerNorm} and {@link #modulate}
     * as out (their inputs stay float32). A backend that always returns F32 refuses a bf16 buffer
     * everywhere but in the storage ops and as attention's k and v.
     */
    default DType operandDtype() {
        return DType.F32;
    }

    /** A new buffer holding a copy of {@code data}. */
    Buf upload(float[] data);

    /** Copies {@code src} (exactly {@code dst.size()} floats) into {@code dst}. */
    void write(Buf dst, float[] src);

    /** A host copy of the buffer's contents (a BF16 buffer widened to float32). */
    float[] read(Buf src);

    /** {@code dst ← src}; both of the same size and dtype. */
    void copy(Buf src, Buf dst);

    void fill(Buf dst, float value);

    /** Makes a parameter tensor (F32, BF16 or F16, contiguous) resident. */
    Weight weight(Tensor t);

    /**
     * Gives {@code b}'s memory back now instead of when the buffer is collected: a GPU backend's
     * memory does not press on the Java heap, so that collection may come late or never. Work
     * already issued that reads or writes it completes first. The caller must own the whole
     * allocation: {@code b} and every view of it must not be used afterwards. A view frees the
     * buffer it is a view of. Default: nothing (heap memory is the garbage collector's).
     */
    default void free(Buf b) {
    }

    /**
     * Drops the device copies of {@code w} (a GPU backend makes them again on its next use): for
     * a network that is done, e.g. the VAE encoder once the reference latent exists. The caller
     * must not use {@code w} meanwhile from another thread. Default: nothing.
     */
    default void release(Weight w) {
    }

    /** The device's memory, for a server's health report; null where buffers live in host memory (the CPU). */
    default DeviceMemoryUse deviceMemory() {
        return null;
    }

    /**
     * Gives back memory the backend keeps beyond live buffers and weights: the calling thread's
     * scratch (made again on demand) and device memory its allocator caches for reuse. For after
     * a phase that needed far more than what follows (the reference encode). Default: nothing.
     */
    default void trimMemory() {
    }

    /**
     * Lets the calling thread's ops run concurrently with other threads' on a device that can (a
     * stream of its own), until the returned scope is closed by the same thread; elsewhere, and
     * where the backend was not configured for it, nothing changes. The streaming decoder's thread
     * opens one so that decoding block k overlaps denoising block k+1.
     *
     * <p>Ops of one thread still run in order; between threads there is no order any more, so the
     * caller promises: a buffer used by both threads is handed over only after the thread that
     * used it last has called {@link #read} (which waits for that thread's own work) since its last
     * use, and the handover itself is ordered by Java (a future, a queue). The backend takes care of
     * what it owns: weights made resident by one thread are complete before another can read them,
     * memory is freed after every thread's work that may use it, and scratch is per thread.
     */
    default Scope concurrentQueue() {
        return () -> { };
    }

    /** What {@link #concurrentQueue} returns: closing it ends the concurrency. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    // ------------------------------------------------------------------ dense layers

    /**
     * {@code out[r, o] = Σ_k x[r, k] · W[o, k] + bias[o]} for a weight of shape {@code [out, in, ...]}
     * (trailing dimensions are flattened into {@code in}, so a patch-embedding Conv3d weight works as is).
     * {@code bias} may be null. x is {@code [rows, in]}, out is {@code [rows, out]}.
     */
    void linear(Buf x, Buf out, int rows, Weight w, Weight bias);

    /**
     * {@link #linear} followed by GELU-tanh on the output: the first half of the DiT's FFN. A
     * backend may fuse the two (the CUDA GEMM applies GELU in its epilogue).
     */
    default void linearGelu(Buf x, Buf out, int rows, Weight w, Weight bias) {
        linear(x, out, rows, w, bias);
        gelu(out, out, true);
    }

    /**
     * {@link #linear} into a residual stream: {@code x[r, :] += (a·Wᵀ + bias)[r, :] · gate[f, :]}
     * with {@code f = r / rowsPerFrame} and frame f's gate at offset {@code f·stride} of gate, or
     * {@code x[r, :] += (a·Wᵀ + bias)[r, :]} when gate is null: the DiT's output projections and
     * FFN with their (gated) residual adds. out is float32 scratch of the product's size where the
     * default puts the product ({@link #linear}, then {@link #gatedAddFrames} or {@link #add});
     * a backend may add in the product's epilogue with the same values, and then leaves out alone.
     */
    default void linearResidual(Buf a, Buf out, int rows, Weight w, Weight bias, Buf x, Buf gate, long stride, int rowsPerFrame) {
        linear(a, out, rows, w, bias);
        if (gate == null) {
            add(x, out, x);
        } else {
            if (rows == 0) return;
            if (rowsPerFrame <= 0 || rows % rowsPerFrame != 0) {
                throw new KernelException("linearResidual: " + rows + " rows are not whole frames of " + rowsPerFrame);
            }
            gatedAddFrames(x, out, gate, stride, rows / rowsPerFrame, rowsPerFrame, (int) w.shape()[0]);
        }
    }

    /**
     * Multi-head scaled dot-product attention with a numerically stable (streaming) softmax.
     * q is {@code [nq, heads·headDim]}, k and v are {@code [nk, heads·headDim]}, head h at columns
     * {@code [h·headDim, (h+1)·headDim)}; out is {@code [nq, heads·headDim]}. {@code bias}, if not
     * null, is {@code [heads, nq, nk]} and is added to the scaled logits (use -Infinity to mask).
     * k and v may be F32 or BF16 buffers (both of one dtype); bf16 values are widened to float32
     * inside the kernel, so a bf16 KV cache is never copied out as float32.
     */
    void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias);

    // ------------------------------------------------------------------ norms (statistics in float32)

    /** LayerNorm over each row of {@code [rows, dim]}; gamma and beta may be null (no affine). In place allowed. */
    void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta);

    /** {@code x · rsqrt(mean(x²) + eps) · gamma} over each row; gamma may be null. In place allowed. */
    void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma);

    // ------------------------------------------------------------------ activations (in place allowed)

    /** GELU: the tanh approximation when {@code tanh}, else the exact erf form. */
    void gelu(Buf x, Buf out, boolean tanh);

    void silu(Buf x, Buf out);

    // ------------------------------------------------------------------ rotary embedding

    /**
     * Rotates interleaved pairs in place: for each row r, head h and pair j,
     * {@code (x[2j], x[2j+1]) ← (x0·c − x1·s, x0·s + x1·c)} with {@code c = cos[r, j]},
     * {@code s = sin[r, j]}. x is {@code [rows, heads·headDim]}; cos and sin are
     * {@code [rows, headDim/2]}, shared by all heads. The per-axis layout lives in the caller.
     */
    void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin);

    // ------------------------------------------------------------------ elementwise (in place allowed)

    /** {@code out = a + b} (same sizes). */
    void add(Buf a, Buf b, Buf out);

    /** {@code out = a · b} (same sizes). */
    void mul(Buf a, Buf b, Buf out);

    /** {@code out = alpha·a + beta·b} (same sizes). */
    void axpby(float alpha, Buf a, float beta, Buf b, Buf out);

    /** {@code out[r, :] = x[r, :] + vec[:]} for x of {@code [rows, dim]}. */
    void addRow(Buf x, Buf vec, Buf out, int rows, int dim);

    /** {@code out[r, :] = x[r, :] · (1 + scale[:]) + shift[:]}: adaptive-norm modulation. */
    void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim);

    /** {@code x[r, :] += y[r, :] · gate[:]} in place: the gated residual add. */
    void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim);

    /**
     * {@link #modulate} over {@code frames} consecutive blocks of {@code rowsPerFrame} rows, block f
     * with its own shift and scale at offset {@code f·stride} of {@code shift} and {@code scale}
     * (views that reach frame {@code frames - 1}'s {@code dim} values): the DiT's per-frame
     * modulation in one call. The default makes one {@link #modulate} per block; a backend may do
     * it in one pass, with the same values.
     */
    default void modulateFrames(Buf x, Buf shift, Buf scale, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        long rowLen = (long) rowsPerFrame * dim;
        for (int f = 0; f < frames; f++) {
            modulate(x.view(f * rowLen, rowLen), shift.view(f * stride, dim), scale.view(f * stride, dim), out.view(f * rowLen, rowLen),
                    rowsPerFrame, dim);
        }
    }

    /**
     * {@link #layerNorm} of x {@code [frames·rowsPerFrame, dim]} without affine parameters into
     * {@code normed} (float32, x's size), then {@link #modulateFrames} of normed into out (float32,
     * which may be normed, or bf16): the DiT's norm1 and norm2 with their per-frame modulation. The
     * default runs the two in turn; a backend may do it in one pass with the same values, and then
     * leaves normed as it was.
     */
    default void layerNormModulateFrames(Buf x, Buf normed, float eps, Buf shift, Buf scale, long stride, Buf out, int frames,
                                         int rowsPerFrame, int dim) {
        layerNorm(x, normed, frames * rowsPerFrame, dim, eps, null, null);
        modulateFrames(normed, shift, scale, stride, out, frames, rowsPerFrame, dim);
    }

    /**
     * {@link #addRow} over blocks of rows, each with its own vector at offset {@code f·stride} of
     * {@code vecs}, as {@link #modulateFrames}: the DiT's per-frame audio rows added to the residual
     * stream in one call. The default makes one {@link #addRow} per block.
     */
    default void addRowFrames(Buf x, Buf vecs, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        long rowLen = (long) rowsPerFrame * dim;
        for (int f = 0; f < frames; f++) {
            addRow(x.view(f * rowLen, rowLen), vecs.view(f * stride, dim), out.view(f * rowLen, rowLen), rowsPerFrame, dim);
        }
    }

    /** {@link #gatedAdd} over blocks of rows, each with its own gate at offset {@code f·stride}, as {@link #modulateFrames}. */
    default void gatedAddFrames(Buf x, Buf y, Buf gate, long stride, int frames, int rowsPerFrame, int dim) {
        long rowLen = (long) rowsPerFrame * dim;
        for (int f = 0; f < frames; f++) {
            gatedAdd(x.view(f * rowLen, rowLen), y.view(f * rowLen, rowLen), gate.view(f * stride, dim), rowsPerFrame, dim);
        }
    }

    // ================================================================== VAE: convolutions, channel norm, resampling
    // Activations here are frame-major: [T, C, H, W] (row-major, W fastest), so one frame is a
    // contiguous [C, H, W] block laid out like a PyTorch image, and a clip grows by appending
    // frames. The Wan VAE (docs/model.md#vae) is the user of this section.

    /**
     * Zero-padded 3-D convolution (cross-correlation, like PyTorch's Conv3d).
     *
     * <p>Input sequence: {@code s.padFront()} zero frames, then the {@code histFrames} frames of
     * {@code hist} (may be null when 0), then the {@code frames} frames of {@code x}. Each frame is
     * {@code [s.cin(), h, w]}; index that sequence with τ. Spatially, rows −padTop.. and columns
     * −padLeft.. outside {@code [0,h)×[0,w)} read as zero. With
     * {@code T' = s.outFrames(histFrames + frames)}, {@code H' = s.outH(h)}, {@code W' = s.outW(w)}:
     *
     * <pre>
     * out[t, o, y, x] = bias[o] + Σ_{c, dt, dy, dx} W[o, c, dt, dy, dx] ·
     *                   in[τ = t·st + dt, c, y·sh + dy − padTop, x·sw + dx − padLeft]
     * </pre>
     *
     * out is {@code [T', cout, H', W']}. The weight is {@code [cout, cin, kt, kh, kw]} (a 4-D
     * {@code [cout, cin, kh, kw]} weight is accepted when kt = 1: only the element count is checked);
     * bias is {@code [cout]} or null. out must not overlap hist or x. hist is float32, or of
     * {@link #productInputDtype()}; x and out are float32.
     */
    void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias);

    /**
     * {@link #conv3d} plus a residual: {@code out = conv3d(...) + residual}, residual float32 of
     * out's size, overlapping none of hist, x and out (the VAE's shortcut convolution and its
     * attention block's projection, each added to the other branch). The default is exactly those
     * two calls, {@link #conv3d} then {@link #add}{@code (out, residual, out)}; a backend may add
     * in the convolution's epilogue instead, with the same bits: each element is the one float
     * addition {@code (Σ + bias) + residual}, and IEEE addition is commutative (CUDA,
     * docs/cuda-performance.md#the-residual-blocks-adds-in-the-convolutions-epilogue).
     */
    default void conv3dResidual(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Buf residual, Conv3dSpec s,
                                Weight weight, Weight bias) {
        conv3d(hist, histFrames, x, frames, h, w, out, s, weight, bias);
        add(out, residual, out);
    }

    /**
     * The dtype in which model code may keep a buffer that is only ever read as a product's
     * input: as {@link #conv3d}'s history (a causal conv's cached frames), or as {@link #attention}'s
     * k and v without a bias (head sizes that are multiples of 8; the DiT's text K/V). F32, or BF16
     * on a backend whose ops round those inputs to bf16 before their products anyway (CUDA), where
     * bf16 storage gives the same results from half the memory: the VAE decoder's causal history at
     * 512×512 is 2.3 GiB in float32. Such a buffer is written with {@link #toBf16} from float32, and
     * may be moved within itself with {@link #copy}.
     */
    default DType productInputDtype() {
        return DType.F32;
    }

    /**
     * The Wan VAE's RMS norm over channels (docs/model.md#vae-building-blocks), optionally followed by SiLU. x and out are
     * {@code [frames, channels, pixels]}; for each frame t and pixel p, with
     * {@code n = sqrt(Σ_c x[t,c,p]²)}: {@code y = x[t,c,p] / max(n, eps) · sqrt(channels) · gamma[c]},
     * and {@code out[t,c,p] = silu ? y·sigmoid(y) : y}. gamma has {@code channels} elements (any shape,
     * e.g. [C,1,1,1]). In place allowed.
     */
    void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu);

    /**
     * A causal convolution fed by the VAE's norm: {@link #conv3d} of {@code y = SiLU(rmsNormChannels(x))}
     * after a sliding history, then the history slid on (the Wan VAE's residual blocks and head,
     * docs/model.md#vae-building-blocks).
     *
     * <p>The convolution's input sequence is {@code s.padFront()} zero frames, the first
     * {@code histFrames} frames of hist, then the {@code frames} frames of y. Afterwards hist's
     * first {@code min(keep, histFrames + frames)} frames are the last ones of [those history
     * frames, y], y's frames stored in hist's dtype (bf16 rounded as {@link #toBf16}); the rest of
     * hist is unspecified. hist is {@code [keep, cin, h, w]}, float32 or of {@link #productInputDtype()},
     * with {@code 1 ≤ keep} and {@code 0 ≤ histFrames ≤ keep}; x is float32 {@code [frames, cin, h, w]}.
     * normed is a float32 buffer of x's size where the default puts y for the convolution to read;
     * it may be x itself (normalised in place). Afterwards its contents, and x's when normed is x,
     * are unspecified. out must not overlap x, hist or normed. residual: null, or float32 of out's
     * size added to the convolution's output (the VAE's residual blocks: the block's input), as
     * {@link #conv3dResidual} adds it; it must overlap none of hist, x, normed and out.
     *
     * <p>The default is those steps in turn: {@link #rmsNormChannels} into normed, {@link #conv3d},
     * then the history's update ({@link #copy} within hist, {@link #toBf16} or copy of y's last
     * frames), then {@link #add}{@code (out, residual, out)} when there is a residual. A backend may
     * fuse them, giving the same results bit for bit (CUDA: the norm applied as the convolution's
     * operand copy is written, docs/cuda-performance.md#the-vae-norm-fused-into-the-convolutions-copy-validated-in-run-10-the-default,
     * and the residual added in its epilogue).
     */
    default void conv3dNormSilu(Buf hist, int histFrames, int keep, Buf x, int frames, int h, int w, Weight gamma, float eps,
                                Buf normed, Buf out, Buf residual, Conv3dSpec s, Weight weight, Weight bias) {
        long frame = (long) s.cin() * h * w;
        checkSlidingHistory(hist, histFrames, keep, frames, frame);
        rmsNormChannels(x, normed, frames, s.cin(), h * w, eps, gamma, true);
        conv3d(histFrames == 0 ? null : hist.view(0, histFrames * frame), histFrames, normed, frames, h, w, out, s, weight, bias);
        int kept = Math.min(keep, histFrames + frames), fromY = Math.min(frames, kept), fromHist = kept - fromY;
        // the history frames that stay move to the front, frame by frame in order (a frame is read before it is overwritten)
        int shift = histFrames - fromHist;
        for (int f = 0; f < fromHist && shift > 0; f++) copy(hist.view((f + shift) * frame, frame), hist.view(f * frame, frame));
        Buf yTail = normed.view((frames - fromY) * frame, fromY * frame), into = hist.view(fromHist * frame, fromY * frame);
        if (hist.dtype() == DType.BF16) toBf16(yTail, into);
        else copy(yTail, into);
        // after the history's update, where ResidualBlock ran its add before this parameter existed: the same launches in the same order
        if (residual != null) add(out, residual, out);
    }

    /** {@link #conv3dNormSilu}'s history arguments, for it and for backends that override it. */
    static void checkSlidingHistory(Buf hist, int histFrames, int keep, int frames, long frame) {
        if (keep < 1 || histFrames < 0 || histFrames > keep || frames < 1) {
            throw new KernelException("conv3dNormSilu: " + histFrames + " history frames of " + keep + " kept, " + frames + " new frames");
        }
        if (hist == null || hist.size() != keep * frame) {
            throw new KernelException("conv3dNormSilu: the history holds " + (hist == null ? "nothing" : hist.size() + " elements")
                    + ", expected " + keep + " frames of " + frame);
        }
    }

    /**
     * {@link #rmsNorm} of each row of x {@code [rows, dim]} (times gamma), then {@link #rope} of
     * every head's pairs, into out: float32 (which may be x) or bf16, rounded as {@link #toBf16}
     * rounds. The DiT's q and k on their way into the attention and the KV cache. The default runs
     * the three in turn, in place on x, whose contents afterwards are therefore unspecified; a
     * backend that {@link #fusesNormRope fuses them} does it in one pass with the same bits.
     */
    default void rmsNormRope(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, int heads, int headDim, Buf cos, Buf sin) {
        rmsNorm(x, x, rows, dim, eps, gamma);
        rope(x, rows, heads, headDim, cos, sin);
        if (out.dtype() == DType.BF16) toBf16(x, out);
        else if (out != x) copy(x, out);
    }

    /**
     * Whether {@link #rmsNormRope} is one pass here, so that the model lets it write q and k
     * straight into their bf16 destinations (the attention's operand, the KV cache) instead of
     * rounding float32 copies. False by default.
     */
    default boolean fusesNormRope() {
        return false;
    }

    /**
     * The columns of a 1-D convolution over time-major {@code x [t, channels]} into
     * {@code col [outT, cn·kernel]}: channels {@code [c0, c0+cn)} of frame {@code o·stride + k − pad}
     * at {@code col[o, c·kernel + k]}, zero outside {@code [0, t)} ({@link TimeConv#columns}:
     * wav2vec2's conv encoder, as {@link #linear}'s input). The default builds them on the host; a
     * backend may build them where x is, with the same values.
     */
    default void columns1d(Buf x, int t, int channels, int c0, int cn, int kernel, int stride, int pad, int outT, Buf col) {
        write(col, TimeConv.columns(read(x), t, channels, c0, cn, kernel, stride, pad, outT));
    }

    /**
     * GroupNorm with one group per channel over time-major {@code y [t, c]} into out (which may be
     * y), in float64 as {@link TimeConv#channelNorm}: wav2vec2's first conv layer. The default runs
     * it on the host; a backend may run it where y is, with the same bits.
     */
    default void channelNormOverTime(Buf y, Buf out, int t, int c, float eps, Weight gamma, Weight beta) {
        write(out, TimeConv.channelNorm(read(y), t, c, eps, gamma.tensor().toFloatArray(), beta.tensor().toFloatArray()));
    }

    /**
     * {@link #conv3d} of the nearest-2× upsample of x ({@link #upsampleNearest2x}), frame by frame:
     * the decoder's Resample (docs/model.md#vae-building-blocks). x is {@code [frames, cin, h, w]},
     * out {@code [frames, cout, s.outH(2h), s.outW(2w)]}; s is a per-frame convolution (kt = 1, no
     * front padding). up is float32 room for one upsampled frame ({@code 4·cin·h·w} or more) where
     * the default puts it; afterwards its contents are unspecified. out must not overlap x or up.
     *
     * <p>The default upsamples each frame into up and convolves it. A backend may read x where the
     * upsample would have read it instead (CUDA: in the convolution's operand copy), with the same
     * results bit for bit.
     */
    /**
     * Floats of room {@link #conv3dUpsample2x} needs in {@code up} for this convolution of
     * {@code cin·h·w}-float frames: one upsampled frame by default; 0 where the backend reads x
     * directly (then {@code up} may be null), so the caller need not keep that buffer.
     */
    default long upsampleRoom(Conv3dSpec s, int h, int w) {
        return 4L * s.cin() * h * w;
    }

    default void conv3dUpsample2x(Buf x, int frames, int h, int w, Buf up, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        if (s.kt() != 1 || s.padFront() != 0) throw new KernelException("conv3dUpsample2x: a per-frame convolution (kt 1, no front padding), not " + s);
        long inFrame = (long) s.cin() * h * w, outFrame = (long) s.cout() * s.outH(2 * h) * s.outW(2 * w);
        Buf u = up.view(0, 4 * inFrame);
        for (int t = 0; t < frames; t++) {
            upsampleNearest2x(x.view(t * inFrame, inFrame), u, s.cin(), h, w);
            conv3d(null, 0, u, 1, 2 * h, 2 * w, out.view(t * outFrame, outFrame), s, weight, bias);
        }
    }

    /**
     * Nearest-neighbour 2× spatial upsampling: x is {@code [planes, h, w]}, out is
     * {@code [planes, 2h, 2w]}, {@code out[p, y, x] = x[p, y/2, x/2]} (integer division; PyTorch's
     * 'nearest' and 'nearest-exact' agree at scale 2).
     */
    void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w);

    /** {@code out[j, i] = x[i, j]} for x of {@code [rows, cols]} and out of {@code [cols, rows]}; must not overlap. */
    void transpose(Buf x, Buf out, int rows, int cols);

    // ================================================================== end of the VAE section

    // ------------------------------------------------------------------ the sampler's step
    // A block's denoising steps run where the DiT runs: the latents, the DiT's patch layout in and
    // out, and the flow-matching update never leave the device between two steps
    // (docs/sampler.md#block-loop).

    /**
     * One source of the DiT's patchified input: for every token (f, i, j) of {@code g}, channel
     * {@code c < channels} and patch offset (a, b),
     * {@code out[(f·gh + i)·gw + j, (c0 + c)·ph·pw + a·pw + b] = src[f·frameStride + c·channelStride + (i·ph + a)·w + j·pw + b]},
     * out having rows of {@code outChannels·ph·pw}. The DiT's x {@code [F, C, h, w]} (strides C·h·w
     * and h·w) and y {@code [C', F, h, w]} (strides h·w and F·h·w) go side by side into one out.
     * Columns outside {@code [c0, c0 + channels)·ph·pw} are not written.
     */
    void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g);

    /**
     * The DiT's output back to a latent video: {@code out[f, c, i·ph + a, j·pw + b] = tokens[(f·gh + i)·gw + j, (a·pw + b)·channels + c]},
     * tokens {@code [F·gh·gw, ph·pw·channels]} (the channel fastest, as the head writes it), out
     * {@code [F, channels, h, w]}.
     */
    void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g);

    /**
     * {@code out = a − s·b}, each element evaluated in float64 and rounded once to float32: the
     * sampler's clean estimate {@code x0 = x − σ·v} (docs/sampler.md#block-loop). In place allowed.
     */
    void subtractScaled(Buf a, double s, Buf b, Buf out);

    /** Releases device resources; buffers must not be used afterwards. */
    @Override
    default void close() {
    }
}
