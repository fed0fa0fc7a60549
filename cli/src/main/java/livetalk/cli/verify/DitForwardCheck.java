package livetalk.cli.verify;

import livetalk.tensor.DType;
import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.kernels.Backend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.model.dit.TextCache;
import livetalk.sampler.FlowMatchSchedule;
import livetalk.tensor.Tensor;

/**
 * {@code dit_forward}: one DiT call with a fresh KV cache at {@code current_start = 0} (docs/model.md#dit-forward),
 * every hooked intermediate, the flow prediction and x0 = x − σ(t)·v with σ of the nearest
 * scheduler timestep.
 */
final class DitForwardCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "dit_forward";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        String s = stem();
        CausalDit dit = GoldenDit.load(dir, backend);
        DitConfig cfg = dit.config();
        Tensor x = dir.tensor(s, "x");                      // [1, F, C, h, w]
        int f = (int) x.dim(1), h = (int) x.dim(3), w = (int) x.dim(4);
        float[] t = dir.floats(s, "timestep");              // [1, F]
        Tensor ctx = dir.tensor(s, "context");              // [1, L, textDim]
        int len = (int) ctx.dim(1);

        TextCache text = dit.encodeText(ctx.toFloatArray(), len);
        report.compare(dir, s, "inter_text_embedding", () -> backend.read(text.embedded()));

        int perFrame = dit.frameSeqLength(h, w);
        KvCache kv = dit.newKvCache(perFrame, f, 0, DType.F32);   // fresh float32 cache holding exactly this call
        Map<String, float[]> taps = new LinkedHashMap<>();
        float[] flow = dit.forward(new CausalDit.Input(x.toFloatArray(), dir.floats(s, "y"), f, h, w, t,
                dir.floats(s, "audio_emb"), 0), kv, text, taps);

        int gh = h / cfg.patchH(), gw = w / cfg.patchW();
        // golden patch embedding is the conv output [1, D, F, h', w']; ours is tokens [N, D]
        report.compare(dir, s, "inter_patch_embedding",
                () -> GoldenDit.transposeLast2(taps.get("patch_embedding"), f * gh * gw, cfg.dim()));
        report.compare(dir, s, "inter_time_embedding", () -> taps.get("time_embedding"));
        report.compare(dir, s, "inter_time_projection", () -> taps.get("time_projection"));
        for (int i = 0; i < cfg.numLayers(); i++) {
            String tap = "block" + i + "_out";
            report.compare(dir, s, "inter_" + tap, () -> taps.get(tap));
        }
        report.compare(dir, s, "inter_head_out", () -> taps.get("head_out"));
        report.compare(dir, s, "flow_pred", () -> flow);

        FlowMatchSchedule sched = FlowMatchSchedule.official();
        float[] xs = x.toFloatArray(), x0 = new float[xs.length];
        int per = xs.length / f;
        for (int k = 0; k < xs.length; k++) x0[k] = (float) (xs[k] - (double) sched.sigmaAt(t[k / per]) * flow[k]);
        report.compare(dir, s, "x0_pred", () -> x0);
    }
}
