package livetalk.model.vae;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * {@code Resample} (docs/model.md#vae-building-blocks, docs/numerics.md#vae-details): spatial 2× down/up-sampling per frame, with an
 * optional temporal part whose first-chunk rules the golden files pin down.
 *
 * <ul>
 * <li>{@code downsample2d}: ZeroPad2d(right 1, bottom 1) → Conv2d 3×3 stride 2 ({@code resample.1}).
 * <li>{@code downsample3d}: the same, then {@code time_conv} (3×1×1, stride 2, no padding) over
 *     [last frame of the previous chunk, this chunk]; the first chunk skips it and is only cached.
 * <li>{@code upsample2d}: nearest 2× → Conv2d 3×3 pad 1, C → C/2.
 * <li>{@code upsample3d}: first {@code time_conv} (3×1×1, causal pad 2, C → 2C; channel half j of
 *     frame i becomes frame 2i+j), then as upsample2d. The first chunk skips the time conv (the
 *     official 'Rep' marker) and yields one frame; from the second chunk on the time conv runs
 *     causally with zero history, so it never sees the first chunk's frames.
 * </ul>
 */
final class Resample implements VaeBlock, Streaming {
    enum Mode { DOWNSAMPLE2D, DOWNSAMPLE3D, UPSAMPLE2D, UPSAMPLE3D }

    private final Backend backend;
    private final Mode mode;
    private final Weight weight, bias;
    private final Conv3dSpec spatial;
    private final CausalConv3d upTime;      // upsample3d's causal time conv
    private final Weight downTime, downTimeBias;
    private final Conv3dSpec downTimeSpec;
    private boolean firstChunkDone;
    private Buf lastFrame;                   // downsample3d: last spatially downsampled frame of the previous chunk

    Resample(Checkpoint ckpt, String prefix, Backend backend, boolean up) {
        this.backend = backend;
        boolean temporal = ckpt.contains(prefix + ".time_conv.weight");
        this.mode = up ? (temporal ? Mode.UPSAMPLE3D : Mode.UPSAMPLE2D) : (temporal ? Mode.DOWNSAMPLE3D : Mode.DOWNSAMPLE2D);
        Tensor w = ckpt.get(prefix + ".resample.1.weight");       // [out, C, 3, 3]
        this.weight = backend.weight(w);
        this.bias = backend.weight(ckpt.get(prefix + ".resample.1.bias"));
        int cout = (int) w.dim(0), cin = (int) w.dim(1), kh = (int) w.dim(2), kw = (int) w.dim(3);
        this.spatial = up
                ? Conv3dSpec.of(cin, cout, 1, kh, kw, 0, 1, 1)
                : new Conv3dSpec(cin, cout, 1, kh, kw, 1, 2, 2, 0, 0, 1, 0, 1);
        if (mode == Mode.UPSAMPLE3D) {
            this.upTime = CausalConv3d.load(ckpt, prefix + ".time_conv", backend, 1, 0, 0);
            this.downTime = this.downTimeBias = null;
            this.downTimeSpec = null;
        } else if (mode == Mode.DOWNSAMPLE3D) {
            Tensor tw = ckpt.get(prefix + ".time_conv.weight");   // [C, C, 3, 1, 1]
            this.upTime = null;
            this.downTime = backend.weight(tw);
            this.downTimeBias = backend.weight(ckpt.get(prefix + ".time_conv.bias"));
            this.downTimeSpec = new Conv3dSpec((int) tw.dim(1), (int) tw.dim(0), (int) tw.dim(2), 1, 1, 2, 1, 1, 0, 0, 0, 0, 0);
        } else {
            this.upTime = null;
            this.downTime = this.downTimeBias = null;
            this.downTimeSpec = null;
        }
    }

    Mode mode() {
        return mode;
    }

    @Override
    public Activation forward(Activation x, int outSlot, Workspace ws) {
        return switch (mode) {
            case UPSAMPLE2D -> upsample(x, outSlot, ws);
            case UPSAMPLE3D -> {
                Activation d = upsampleTime(x, Workspace.S1, ws);
                yield upsample(d == null ? x : d, outSlot, ws);
            }
            case DOWNSAMPLE2D -> downsample(x, outSlot, ws);
            case DOWNSAMPLE3D -> downsample3d(x, outSlot, ws);
        };
    }

    /**
     * upsample3d's time half on a whole chunk, {@code [T, C, H, W] → [2T, C, H, W]} in
     * {@code outSlot}; null on the first chunk, which the official code passes through unchanged
     * ('Rep'). Then {@link #upsample} is the spatial half, which works frame by frame.
     */
    Activation upsampleTime(Activation x, int outSlot, Workspace ws) {
        if (!firstChunkDone) {
            firstChunkDone = true;
            return null;
        }
        // [T, 2C, H, W] is [2T, C, H, W] in the frame-major layout: half j of frame i is frame 2i+j.
        Activation d = upTime.forward(x, ws.get(outSlot, upTime.outSize(x)));
        return new Activation(d.buf(), 2 * d.frames(), x.channels(), x.h(), x.w());
    }

    /**
     * Nearest 2× then the 3×3 conv, one frame at a time so the upsampled frame is the only big
     * temporary: in S2, which is free between blocks, where the backend makes it
     * ({@link Backend#conv3dUpsample2x}); none where it reads x directly ({@link Backend#upsampleRoom} 0).
     */
    Activation upsample(Activation x, int outSlot, Workspace ws) {
        int h2 = 2 * x.h(), w2 = 2 * x.w();
        Activation out = ws.get(outSlot, x.frames(), spatial.cout(), spatial.outH(h2), spatial.outW(w2));
        long room = backend.upsampleRoom(spatial, x.h(), x.w());
        backend.conv3dUpsample2x(x.buf(), x.frames(), x.h(), x.w(), room == 0 ? null : ws.get(Workspace.S2, room), out.buf(), spatial, weight,
                bias);
        return out;
    }

    private Activation downsample(Activation x, int outSlot, Workspace ws) {
        Activation out = ws.get(outSlot, x.frames(), spatial.cout(), spatial.outH(x.h()), spatial.outW(x.w()));
        backend.conv3d(null, 0, x.buf(), x.frames(), x.h(), x.w(), out.buf(), spatial, weight, bias);
        return out;
    }

    private Activation downsample3d(Activation x, int outSlot, Workspace ws) {
        Activation sp = downsample(x, Workspace.S1, ws);
        Activation out;
        if (!firstChunkDone) {
            firstChunkDone = true;                  // first chunk: cached, no time conv
            out = ws.get(outSlot, sp.frames(), sp.channels(), sp.h(), sp.w());
            backend.copy(sp.buf(), out.buf());
        } else {
            int frames = downTimeSpec.outFrames(1 + sp.frames());
            out = ws.get(outSlot, frames, downTimeSpec.cout(), sp.h(), sp.w());
            backend.conv3d(lastFrame, 1, sp.buf(), sp.frames(), sp.h(), sp.w(), out.buf(), downTimeSpec, downTime, downTimeBias);
        }
        if (lastFrame == null || lastFrame.size() != sp.frameSize()) lastFrame = backend.alloc(sp.frameSize());
        backend.copy(sp.frame(sp.frames() - 1), lastFrame);
        return out;
    }

    private record History(boolean firstChunkDone, Buf lastFrame, Object upTime) {
    }

    @Override
    public Object saveHistory() {
        return new History(firstChunkDone, lastFrame, upTime == null ? null : upTime.saveHistory());
    }

    @Override
    public void restoreHistory(Object history) {
        History h = history instanceof History x ? x : new History(false, null, null);
        firstChunkDone = h.firstChunkDone();
        lastFrame = h.lastFrame();
        if (upTime != null) upTime.restoreHistory(h.upTime());
    }

    @Override
    public void freeHistory(Object history) {
        if (!(history instanceof History h)) return;
        if (h.lastFrame() != null) backend.free(h.lastFrame());
        if (upTime != null) upTime.freeHistory(h.upTime());
    }

    @Override
    public void streaming(java.util.List<Streaming> out) {
        out.add(this);
    }

    @Override
    public long historyBytes() {
        return (lastFrame == null ? 0 : lastFrame.size() * 4) + (upTime == null ? 0 : upTime.historyBytes());
    }

    @Override
    public void reset() {
        firstChunkDone = false;
        if (upTime != null) upTime.reset();
    }

    @Override
    public void release() {
        reset();
        if (lastFrame != null) backend.free(lastFrame);
        lastFrame = null;
        if (upTime != null) upTime.release();
        for (Weight w : new Weight[] {weight, bias, downTime, downTimeBias}) if (w != null) backend.release(w);
    }
}
