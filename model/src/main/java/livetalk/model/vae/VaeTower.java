package livetalk.model.vae;

import java.util.ArrayList;
import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;

/**
 * The VAE's encoder ({@code Encoder3d}) and decoder ({@code Decoder3d}), which share one shape:
 * conv1 → a list of blocks → head (norm, SiLU, conv). The blocks ping-pong between the workspace's
 * slots A and B, so a tower needs two activation buffers however deep it is
 * (docs/model.md#vae). Both are causal and streaming: each conv keeps the last frames of the
 * previous call ({@link #reset} forgets them).
 */
final class VaeTower {
    private final Backend backend;
    private final CausalConv3d conv1, headConv;
    private final List<VaeBlock> blocks;
    private final VaeNorm headNorm;
    /**
     * The decoder's last temporal upsample (null in the encoder), at index {@link #split}: its time
     * conv runs on whole chunks, its spatial half, the blocks after it and the head one frame at a
     * time (see {@link #forward}).
     */
    private final Resample lastTimeUp;
    /** Blocks before this index run on whole chunks; blocks.size() in the encoder. */
    private final int split;

    private VaeTower(Checkpoint ckpt, String prefix, Backend backend, List<VaeBlock> blocks) {
        this.backend = backend;
        this.conv1 = CausalConv3d.load(ckpt, prefix + ".conv1", backend, 1, 1, 1);
        this.blocks = List.copyOf(blocks);
        int last = -1;
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.get(i) instanceof Resample r && r.mode() == Resample.Mode.UPSAMPLE3D) last = i;
        }
        this.split = last < 0 ? blocks.size() : last;
        this.lastTimeUp = last < 0 ? null : (Resample) blocks.get(last);
        this.headNorm = new VaeNorm(ckpt, prefix + ".head.0", backend);
        this.headConv = CausalConv3d.load(ckpt, prefix + ".head.2", backend, 1, 1, 1);
    }

    /**
     * {@code Encoder3d}: conv1 → downsamples (residual blocks, then a Resample per stage but the
     * last) → middle (RB, attention, RB) → head (→ 2·z channels). {@link WanVae#encode} feeds it
     * chunks of 1, 4, 4, … frames.
     */
    static VaeTower encoder(Checkpoint ckpt, VaeConfig cfg, Backend backend) {
        List<VaeBlock> blocks = new ArrayList<>();
        int i = 0;
        for (int stage = 0; stage < cfg.dimMult().size(); stage++) {
            for (int r = 0; r < cfg.numResBlocks(); r++) blocks.add(new ResidualBlock(ckpt, "encoder.downsamples." + i++, backend));
            if (stage < cfg.dimMult().size() - 1) blocks.add(new Resample(ckpt, "encoder.downsamples." + i++, backend, false));
        }
        blocks.addAll(middle(ckpt, "encoder.middle", backend));
        return new VaeTower(ckpt, "encoder", backend, blocks);
    }

    /**
     * {@code Decoder3d}: conv1 (z → 4·dim) → middle → upsamples (numResBlocks+1 residual blocks per
     * stage, then a Resample that doubles time where the encoder halved it) → head (→ 3). Run one
     * latent frame at a time: the first gives 1 frame, every later one {@code temporalFactor}.
     */
    static VaeTower decoder(Checkpoint ckpt, VaeConfig cfg, Backend backend) {
        List<VaeBlock> blocks = new ArrayList<>(middle(ckpt, "decoder.middle", backend));
        int i = 0;
        int stages = cfg.dimMult().size();
        for (int stage = 0; stage < stages; stage++) {
            for (int r = 0; r <= cfg.numResBlocks(); r++) blocks.add(new ResidualBlock(ckpt, "decoder.upsamples." + i++, backend));
            if (stage < stages - 1) blocks.add(new Resample(ckpt, "decoder.upsamples." + i++, backend, true));
        }
        return new VaeTower(ckpt, "decoder", backend, blocks);
    }

    private static List<VaeBlock> middle(Checkpoint ckpt, String p, Backend backend) {
        return List.of(new ResidualBlock(ckpt, p + ".0", backend), new AttentionBlock(ckpt, p + ".1", backend),
                new ResidualBlock(ckpt, p + ".2", backend));
    }

    /**
     * One chunk → the tower's output in slot S2: pixels (in slot A) → the encoder's
     * {@code [T', 2z, H/8, W/8]}, or one latent frame {@code [1, z, h, w]} (after conv2; in none of
     * the slots A/B/S1/S2) → the decoder's pixels {@code [T, 3, 8h, 8w]}.
     */
    Activation forward(Activation x, Workspace ws) {
        Activation a = conv1.forward(x, ws.get(Workspace.A, conv1.outSize(x)));
        int slot = Workspace.A;
        for (int i = 0; i < split; i++) {
            slot = Workspace.other(slot);
            a = blocks.get(i).forward(a, slot, ws);
        }
        if (lastTimeUp != null) {
            Activation d = lastTimeUp.upsampleTime(a, Workspace.other(slot), ws);     // null on the first chunk
            if (d != null) {
                slot = Workspace.other(slot);
                a = d;
            }
        }
        if (a.frames() == 1 || lastTimeUp == null) return tail(a, Workspace.other(slot), slot, ws);
        // The decoder's last stages (from the spatial half of its last temporal upsample: 2× and
        // 4× the spatial size, e.g. 256² and 512²) one frame at a time. Every module there works
        // per frame or is a causal conv with its own history, so this is the same computation as
        // all frames at once (as decoding latent frame by latent frame is,
        // docs/model.md#streaming-decode), with the activations of one frame instead of four: at
        // 512×512 their buffers and the padded clip a conv reads were 1.9 GB of the decoder's
        // memory, and the frames waiting here are held before their spatial upsample, at a
        // quarter of the pixels (docs/cuda-performance.md#gpu-memory).
        // The input stays in its slot while the frames alternate between the other slot and C.
        Activation out = null;
        for (int t = 0; t < a.frames(); t++) {
            Activation o = tail(a.frames(t, 1), Workspace.other(slot), Workspace.C, ws);
            if (out == null) out = ws.get(Workspace.OUT, a.frames(), o.channels(), o.h(), o.w());
            backend.copy(o.buf(), out.frame(t));
        }
        return out;
    }

    /**
     * The spatial half of the last temporal upsample, the blocks after it, then the head, on
     * {@code a} (the encoder: the head alone): outputs alternate between slots p and q, p first,
     * so a may be in q (then overwritten once read) or in a third slot (kept); the result is in S2.
     */
    private Activation tail(Activation a, int p, int q, Workspace ws) {
        int slot = q;
        if (lastTimeUp != null) {
            slot = p;
            a = lastTimeUp.upsample(a, slot, ws);
        }
        for (int i = split + 1; i < blocks.size(); i++) {
            slot = slot == p ? q : p;
            a = blocks.get(i).forward(a, slot, ws);
        }
        // head: conv(SiLU(norm(a))), the normed a in S1 where the backend stores it
        return headConv.forwardNormSilu(a, headNorm, ws.get(Workspace.S1, (long) a.frames() * a.channels() * a.h() * a.w()),
                ws.get(Workspace.S2, headConv.outSize(a)), null);
    }

    /** Every module of the tower that keeps streaming history (see {@link Streaming}). */
    List<Streaming> streaming() {
        List<Streaming> out = new ArrayList<>();
        out.add(conv1);
        blocks.forEach(b -> b.streaming(out));
        out.add(headConv);
        return out;
    }

    /** Frees the tower's history buffers and drops its weights' device copies (see {@link VaeBlock#release}). */
    void release() {
        reset();
        conv1.release();
        headNorm.release(backend);
        headConv.release();
        blocks.forEach(VaeBlock::release);
    }

    /** Forgets the causal caches: the next chunk starts a new video. */
    void reset() {
        conv1.reset();
        headConv.reset();
        blocks.forEach(VaeBlock::reset);
    }
}
