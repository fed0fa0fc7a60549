package livetalk.model.vae;

import java.util.ArrayList;
import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;

/**
 * {@code Decoder3d} (spec §5.3): conv1 (z → 4·dim) → middle (RB, attention, RB) → upsamples
 * (numResBlocks+1 residual blocks per stage, then Resample: upsample3d where the encoder halved
 * time, in reverse order) → head (norm, SiLU, conv → 3). Run one latent frame at a time with
 * persistent causal caches (spec §5.4): the first latent frame gives 1 frame, every later one
 * {@code temporalFactor} frames.
 */
final class VaeDecoder {
    private final Backend backend;
    private final CausalConv3d conv1, headConv;
    private final List<VaeBlock> middle;
    private final List<VaeBlock> upsamples = new ArrayList<>();
    private final VaeNorm headNorm;

    VaeDecoder(Checkpoint ckpt, VaeConfig cfg, Backend backend) {
        this.backend = backend;
        this.conv1 = CausalConv3d.load(ckpt, "decoder.conv1", backend, 1, 1, 1);
        this.middle = List.of(new ResidualBlock(ckpt, "decoder.middle.0", backend), new AttentionBlock(ckpt, "decoder.middle.1", backend),
                new ResidualBlock(ckpt, "decoder.middle.2", backend));
        int i = 0;
        int stages = cfg.dimMult().size();
        for (int stage = 0; stage < stages; stage++) {
            for (int r = 0; r <= cfg.numResBlocks(); r++) upsamples.add(new ResidualBlock(ckpt, "decoder.upsamples." + i++, backend));
            if (stage < stages - 1) upsamples.add(new Resample(ckpt, "decoder.upsamples." + i++, backend, true));
        }
        this.headNorm = new VaeNorm(ckpt, "decoder.head.0", backend);
        this.headConv = CausalConv3d.load(ckpt, "decoder.head.2", backend, 1, 1, 1);
    }

    /** One latent frame {@code [1, z, h, w]} (after conv2; not in slots A/B/S1/S2) → pixels {@code [T, 3, 8h, 8w]} in slot S2. */
    Activation forward(Activation z, Workspace ws) {
        Activation a = conv1.forward(z, ws.get(Workspace.A, conv1.outSize(z)));
        int slot = Workspace.A;
        for (VaeBlock b : middle) {
            slot = Workspace.other(slot);
            a = b.forward(a, slot, ws);
        }
        for (VaeBlock b : upsamples) {
            slot = Workspace.other(slot);
            a = b.forward(a, slot, ws);
        }
        Activation s1 = ws.get(Workspace.S1, a.frames(), a.channels(), a.h(), a.w());
        headNorm.forward(backend, a, s1.buf(), true);
        return headConv.forward(s1, ws.get(Workspace.S2, headConv.outSize(s1)));
    }

    /** Every module of the decoder that keeps streaming history. */
    java.util.List<Streaming> streaming() {
        java.util.List<Streaming> out = new java.util.ArrayList<>();
        out.add(conv1);
        middle.forEach(b -> b.streaming(out));
        upsamples.forEach(b -> b.streaming(out));
        out.add(headConv);
        return out;
    }

    void reset() {
        conv1.reset();
        headConv.reset();
        middle.forEach(VaeBlock::reset);
        upsamples.forEach(VaeBlock::reset);
    }
}
