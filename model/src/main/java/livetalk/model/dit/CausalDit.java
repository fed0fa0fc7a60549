package livetalk.model.dit;

import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.PatchGrid;
import livetalk.tensor.DType;
import livetalk.kernels.Weight;

/**
 * The LiveTalk causal DiT ({@code CausalWanModel._forward_inference}, docs/model.md#dit-forward), loaded by the
 * official state-dict names (no prefix) from any {@link Checkpoint}. One call denoises one block
 * of frames against the KV cache. Letters: F frames of the call, C = 16 latent channels,
 * h × w latent grid, N = F·(h/2)·(w/2) tokens, D width, L text positions.
 */
public final class CausalDit {
    private final Backend be;
    private final DitConfig cfg;
    private final Weight patchW, patchB, text0, text0b, text2, text2b, headW, headB;
    private final Buf headModulation;     // [2D]: shift, scale
    private final TimeEmbedding time;
    private final AudioProjection audio;
    private final DitBlock[] blocks;
    private final Rope3d rope;
    private Workspace ws;

    /** One call's inputs. x {@code [F, C, h, w]} (pipeline layout), y {@code [inDim − C, F, h, w]}
     *  (reference latent + mask), timesteps {@code [F]}, audio {@code [nProj, F, D]},
     *  startFrame = absolute index of the call's first frame (RoPE and the cache). */
    public record Input(float[] x, float[] y, int frames, int latentH, int latentW, float[] timesteps, float[] audio, long startFrame) {
    }

    /**
     * The same inputs where the backend keeps them, as the sampler's loop holds them from step to
     * step (docs/sampler.md#block-loop): x, y and audio are buffers of the sizes {@link Input}
     * gives (audio null when the model has no audio projections).
     */
    public record Step(Buf x, Buf y, int frames, int latentH, int latentW, float[] timesteps, Buf audio, long startFrame) {
    }

    public CausalDit(Backend be, Checkpoint ck, DitConfig cfg) {
        this.be = be;
        this.cfg = cfg;
        patchW = be.weight(ck.get("patch_embedding.weight"));
        patchB = be.weight(ck.get("patch_embedding.bias"));
        text0 = be.weight(ck.get("text_embedding.0.weight"));
        text0b = be.weight(ck.get("text_embedding.0.bias"));
        text2 = be.weight(ck.get("text_embedding.2.weight"));
        text2b = be.weight(ck.get("text_embedding.2.bias"));
        headW = be.weight(ck.get("head.head.weight"));
        headB = be.weight(ck.get("head.head.bias"));
        headModulation = be.upload(ck.get("head.modulation").toFloatArray());
        time = new TimeEmbedding(be, ck, cfg);
        audio = new AudioProjection(be, ck, cfg);
        blocks = new DitBlock[cfg.numLayers()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = new DitBlock(be, ck, cfg, i);
        rope = new Rope3d(cfg.headDim(), cfg.ropeTheta());
    }

    /** Loads with the configuration inferred from shapes plus an optional config map (may be null). */
    public static CausalDit load(Backend be, Checkpoint ck, Map<String, Object> config) {
        return new CausalDit(be, ck, DitConfig.infer(ck, config));
    }

    public DitConfig config() {
        return cfg;
    }

    /** Device bytes of the activation workspace (0 before the first call). */
    public long workspaceBytes() {
        return ws == null ? 0 : ws.bytes();
    }

    public AudioProjection audioProjection() {
        return audio;
    }

    public Backend backend() {
        return be;
    }

    /**
     * A fresh KV cache for this model, storing K and V as {@code dtype}: {@link KvCache#DEFAULT_DTYPE}
     * (bf16) for generation, F32 for parity runs against float32 golden data (see {@link KvCache}).
     */
    public KvCache newKvCache(int frameSeqLength, int localAttnFrames, int sinkFrames, DType dtype) {
        return new KvCache(be, cfg.numLayers(), cfg.dim(), frameSeqLength, localAttnFrames, sinkFrames, dtype);
    }

    /** Tokens per latent frame of an {@code h × w} latent. */
    public int frameSeqLength(int latentH, int latentW) {
        return (latentH / cfg.patchH()) * (latentW / cfg.patchW());
    }

    /**
     * Embeds the text context {@code [L, textDim]} ({@code ctx = W2·GELU_tanh(W1·c + b1) + b2}) and
     * computes every layer's cross-attention K/V once for this prompt.
     */
    public TextCache encodeText(float[] context, int len) {
        if (context.length != (long) len * cfg.textDim()) {
            throw new IllegalArgumentException("text context: " + context.length + " values, expected " + len + "×" + cfg.textDim());
        }
        int d = cfg.dim();
        Buf c = be.upload(context);
        Buf hidden = be.alloc((long) len * d), emb = be.alloc((long) len * d);
        be.linear(c, hidden, len, text0, text0b);
        be.gelu(hidden, hidden, true);
        be.linear(hidden, emb, len, text2, text2b);
        // K and V are only read by the cross-attention: kept in the backend's productInputDtype (bf16
        // on CUDA, which rounds them to bf16 in every call anyway: half the memory, no conversion per call)
        DType kvDtype = be.productInputDtype();
        Buf kf = kvDtype == DType.F32 ? null : be.alloc((long) len * d), vf = kvDtype == DType.F32 ? null : be.alloc((long) len * d);
        Buf[] k = new Buf[blocks.length], v = new Buf[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            k[i] = be.alloc((long) len * d, kvDtype);
            v[i] = be.alloc((long) len * d, kvDtype);
            if (kf == null) {
                blocks[i].textKv(emb, len, k[i], v[i]);
            } else {
                blocks[i].textKv(emb, len, kf, vf);
                be.toBf16(kf, k[i]);
                be.toBf16(vf, v[i]);
            }
        }
        be.free(c);           // temporaries: a device backend would hold them until a collection
        be.free(hidden);
        if (kf != null) {
            be.free(kf);
            be.free(vf);
        }
        // The text embedding and every layer's cross-attention k/v projections serve only this
        // method: a device backend drops their copies until the next prompt (0.28 GiB of bf16 for
        // the 1.3B model, docs/cuda-performance.md#gpu-memory); the CPU's mapped weights stay.
        for (Weight w : new Weight[] {text0, text0b, text2, text2b}) be.release(w);
        for (DitBlock b : blocks) b.releaseTextWeights();
        return new TextCache(len, emb, k, v);
    }

    /** The flow (velocity) prediction {@code [F, C, h, w]}; writes the call's K/V into {@code kv}. */
    public float[] forward(Input in, KvCache kv, TextCache text) {
        return run(in, kv, text, false, null);
    }

    /**
     * Same as {@link #forward} with intermediates copied into {@code taps} (names as the golden
     * hooks: patch_embedding [N,D], time_embedding [F,D], time_projection [F,6D], blockI_out [N,D],
     * head_out [N, patchOut]).
     */
    public float[] forward(Input in, KvCache kv, TextCache text, Map<String, float[]> taps) {
        return run(in, kv, text, false, taps);
    }

    /**
     * The flow prediction into {@code flow [F, C, h, w]}, on the backend: nothing is read back, so
     * the sampler's next step follows on the device without waiting for the host.
     */
    public void forward(Step in, KvCache kv, TextCache text, Buf flow) {
        run(in, kv, text, flow, null);
    }

    /**
     * The clean cache-refresh pass (docs/sampler.md#block-loop): writes every layer's K/V for these frames and
     * skips what only feeds the discarded output (the last layer's attention and FFN, the head).
     */
    public void refreshCache(Input in, KvCache kv, TextCache text) {
        run(in, kv, text, true, null);
    }

    /** {@link #refreshCache(Input, KvCache, TextCache)} on inputs the backend holds. */
    public void refreshCache(Step in, KvCache kv, TextCache text) {
        run(in, kv, text, null, null);
    }

    /** Uploads the host inputs, runs the call, reads the flow back and frees what it uploaded. */
    private float[] run(Input in, KvCache kv, TextCache text, boolean kvOnly, Map<String, float[]> taps) {
        int f = in.frames();
        long plane = (long) in.latentH() * in.latentW(), cx = cfg.outDim(), cy = cfg.inDim() - cx;
        if (in.x().length != f * cx * plane || in.y().length != cy * f * plane) {
            throw new IllegalArgumentException("DiT input sizes: x " + in.x().length + " (expected " + f * cx * plane + "), y "
                    + in.y().length + " (expected " + cy * f * plane + ")");
        }
        Buf x = be.upload(in.x()), y = be.upload(in.y());
        Buf audioIn = cfg.numAudioProjs() > 0 ? be.upload(in.audio()) : null;
        Buf flow = kvOnly ? null : be.alloc(f * cx * plane);
        try {
            run(new Step(x, y, f, in.latentH(), in.latentW(), in.timesteps(), audioIn, in.startFrame()), kv, text, flow, taps);
            return flow == null ? null : be.read(flow);
        } finally {
            for (Buf b : new Buf[] {x, y, audioIn, flow}) {
                if (b != null) be.free(b);     // device memory is not freed by a collection soon enough
            }
        }
    }

    /** One call; {@code flow} null for the clean pass (K/V only). */
    private void run(Step in, KvCache kv, TextCache text, Buf flow, Map<String, float[]> taps) {
        boolean kvOnly = flow == null;
        int f = in.frames(), gh = in.latentH() / cfg.patchH(), gw = in.latentW() / cfg.patchW();
        int perFrame = gh * gw, n = f * perFrame, d = cfg.dim();
        if (kv.frameSeqLength() != perFrame) {
            throw new IllegalArgumentException("KV cache built for " + kv.frameSeqLength() + " tokens per frame, call has " + perFrame);
        }
        if (ws == null || ws.tokens != n || ws.frames != f) {
            if (ws != null) ws.free();      // device memory is not freed by a collection soon enough
            ws = new Workspace(be, cfg, f, n);
        }

        // 1–2. concat [x, y] on channels and patch-embed (a linear over ph×pw patches)
        PatchGrid grid = new PatchGrid(f, in.latentH(), in.latentW(), cfg.patchH(), cfg.patchW());
        int cx = cfg.outDim(), cy = cfg.inDim() - cx;
        long plane = grid.plane();
        be.patchify(in.x(), cx * plane, plane, cx, ws.patchIn, cfg.inDim(), 0, grid);      // x [F, C, h, w]
        be.patchify(in.y(), plane, f * plane, cy, ws.patchIn, cfg.inDim(), cx, grid);      // y [C', F, h, w]
        be.linear(ws.patchIn, ws.x, n, patchW, patchB);   // [N, D]
        tap(taps, "patch_embedding", ws.x);

        // 3. per-frame time embedding
        if (in.timesteps().length != f) throw new IllegalArgumentException(in.timesteps().length + " timesteps for " + f + " frames");
        time.forward(ws.sinusoids(in.timesteps()), f, ws.timeHidden, ws.temb, ws.tmod);
        tap(taps, "time_embedding", ws.temb);
        tap(taps, "time_projection", ws.tmod);

        // 5. RoPE tables at absolute frame positions: a block's denoising steps and its clean pass
        // share them, so they are made and uploaded once per block (the workspace keeps the grid)
        if (!ws.holdsRope(in.startFrame(), gh, gw)) {
            float[][] cs = rope.tables(in.startFrame(), f, gh, gw);
            be.write(ws.cos, cs[0]);
            be.write(ws.sin, cs[1]);
            ws.ropeWritten(in.startFrame(), gh, gw);
        }

        // 6. audio [nProj, F, D]
        if (cfg.numAudioProjs() > 0 && in.audio().size() != (long) cfg.numAudioProjs() * f * d) {
            throw new IllegalArgumentException("audio conditioning: " + in.audio().size() + " values, expected " + cfg.numAudioProjs() + "×" + f + "×" + d);
        }

        // the cache slots of this call (roll on the first call of a new block)
        kv.beginCall(in.startFrame() * perFrame, n);

        // 7. layers, audio projection (layer − 2) added to the residual stream before layers 2..
        for (int i = 0; i < blocks.length; i++) {
            if (cfg.audioBefore(i)) {
                // x[fi] += audio[i − 2, fi], every frame in one call
                Buf audio = in.audio().view((long) (i - 2) * f * d, (long) f * d);
                be.addRowFrames(ws.x, audio, d, ws.x, f, perFrame, d);
            }
            if (kvOnly && i == blocks.length - 1) {
                blocks[i].writeKvOnly(ws, perFrame, kv);
                return;
            }
            blocks[i].forward(ws, perFrame, kv, text);
            tap(taps, "block" + i + "_out", ws.x);
        }

        // 8. head: LN, per-frame (head.modulation + temb) shift/scale, linear
        for (int fi = 0; fi < f; fi++) {
            be.add(headModulation.view(0, d), ws.temb.view((long) fi * d, d), ws.headMod.view(2L * fi * d, d));
            be.add(headModulation.view(d, d), ws.temb.view((long) fi * d, d), ws.headMod.view((2L * fi + 1) * d, d));
        }
        be.layerNorm(ws.x, ws.h, n, d, (float) cfg.eps(), null, null);
        for (int fi = 0; fi < f; fi++) {   // into the head's operand (ws.hOp is ws.h, in place, on float32 backends)
            long at = (long) fi * perFrame * d, len = (long) perFrame * d;
            be.modulate(ws.h.view(at, len), ws.headMod.view(2L * fi * d, d), ws.headMod.view((2L * fi + 1) * d, d), ws.hOp.view(at, len),
                    perFrame, d);
        }
        be.linear(ws.hOp, ws.headOut, n, headW, headB);   // [N, ph·pw·C]
        tap(taps, "head_out", ws.headOut);

        // 9. unpatchify: b (f h w) (x y z c) -> [F, C, h·ph, w·pw], c the fastest index of a token's output
        be.unpatchify(ws.headOut, cx, flow, grid);
    }

    private void tap(Map<String, float[]> taps, String name, Buf b) {
        if (taps != null) taps.put(name, be.read(b));
    }
}
