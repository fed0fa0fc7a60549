package livetalk.model.vae;

import java.util.ArrayList;
import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;

/**
 * {@code Encoder3d} (spec §5.2): conv1 → downsamples (residual blocks and Resample per stage) →
 * middle (RB, attention, RB) → head (norm, SiLU, conv → 2·z channels). Causal and streaming like
 * the decoder; {@link WanVae#encode} feeds it chunks of 1, 4, 4, … frames.
 */
final class VaeEncoder {
    private final Backend backend;
    private final CausalConv3d conv1, headConv;
    private final List<VaeBlock> downsamples = new ArrayList<>();
    private final List<VaeBlock> middle;
    private final VaeNorm headNorm;

    VaeEncoder(Checkpoint ckpt, VaeConfig cfg, Backend backend) {
        this.backend = backend;
        this.conv1 = CausalConv3d.load(ckpt, "encoder.conv1", backend, 1, 1, 1);
        int i = 0;
        for (int stage = 0; stage < cfg.dimMult().size(); stage++) {
            for (int r = 0; r < cfg.numResBlocks(); r++) downsamples.add(new ResidualBlock(ckpt, "encoder.downsamples." + i++, backend));
            if (stage < cfg.dimMult().size() - 1) downsamples.add(new Resample(ckpt, "encoder.downsamples." + i++, backend, false));
        }
        this.middle = List.of(new ResidualBlock(ckpt, "encoder.middle.0", backend), new AttentionBlock(ckpt, "encoder.middle.1", backend),
                new ResidualBlock(ckpt, "encoder.middle.2", backend));
        this.headNorm = new VaeNorm(ckpt, "encoder.head.0", backend);
        this.headConv = CausalConv3d.load(ckpt, "encoder.head.2", backend, 1, 1, 1);
    }

    /** One chunk of pixels (in slot A) → its encoder output {@code [T', 2z, H/8, W/8]} (in slot S2). */
    Activation forward(Activation x, Workspace ws) {
        Activation a = conv1.forward(x, ws.get(Workspace.A, conv1.outSize(x)));
        int slot = Workspace.A;
        for (VaeBlock b : downsamples) {
            slot = Workspace.other(slot);
            a = b.forward(a, slot, ws);
        }
        for (VaeBlock b : middle) {
            slot = Workspace.other(slot);
            a = b.forward(a, slot, ws);
        }
        Activation s1 = ws.get(Workspace.S1, a.frames(), a.channels(), a.h(), a.w());
        headNorm.forward(backend, a, s1.buf(), true);
        return headConv.forward(s1, ws.get(Workspace.S2, headConv.outSize(s1)));
    }

    void reset() {
        conv1.reset();
        headConv.reset();
        downsamples.forEach(VaeBlock::reset);
        middle.forEach(VaeBlock::reset);
    }
}
