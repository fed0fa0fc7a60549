package livetalk.kernels.opencl;

import livetalk.kernels.Conv3dSpec;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The VAE ops (conv3d, channel RMS norm, nearest 2x upsampling, transpose) against scalar loops. */
class OpenClVaeTest extends OpenClTestBase {
    static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16};

    @Test
    void conv3dMatchesScalarLoops() {
        Props.forAll("opencl conv3d", 24, 61, rnd -> {
            int cin = 1 + rnd.nextInt(12), cout = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 80);
            int kt = 1 + rnd.nextInt(3), kh = 1 + rnd.nextInt(3), kw = 1 + rnd.nextInt(3);
            int st = 1 + rnd.nextInt(2), sh = 1 + rnd.nextInt(2), sw = 1 + rnd.nextInt(2);
            int padFront = rnd.nextInt(kt), padTop = rnd.nextInt(2), padBottom = rnd.nextInt(2), padLeft = rnd.nextInt(2), padRight = rnd.nextInt(2);
            int h = kh + rnd.nextInt(12), w = kw + rnd.nextInt(12);
            int histFrames = rnd.nextInt(3), frames = Math.max(1, kt - padFront - histFrames) + rnd.nextInt(3);
            int tOut = (padFront + histFrames + frames - kt) / st + 1;
            int hOut = (h + padTop + padBottom - kh) / sh + 1, wOut = (w + padLeft + padRight - kw) / sw + 1;
            int frame = cin * h * w;
            DType dt = DTYPES[rnd.nextInt(3)];
            Tensor wt = Tensor.wrap(Props.uniform(rnd, cout * cin * kt * kh * kw, 1), cout, cin, kt, kh, kw).to(dt);
            Tensor bt = rnd.nextBoolean() ? Tensor.wrap(Props.uniform(rnd, cout, 1), cout).to(dt) : null;
            float[] hist = Props.uniform(rnd, histFrames * frame, 2), x = Props.uniform(rnd, frames * frame, 2);
            float[] expect = conv3dRef(hist, histFrames, x, h, w, cin, cout, kt, kh, kw, st, sh, sw, padFront, padTop, padLeft,
                    tOut, hOut, wOut, wt.toFloatArray(), bt == null ? null : bt.toFloatArray());
            OpenClFixture.Pair hp = OpenClFixture.place(cpu, cl, rnd, hist), xp = OpenClFixture.place(cpu, cl, rnd, x);
            OpenClFixture.Pair op = OpenClFixture.place(cpu, cl, rnd, new float[expect.length]);
            Conv3dSpec spec = new Conv3dSpec(cin, cout, kt, kh, kw, st, sh, sw, padFront, padTop, padBottom, padLeft, padRight);
            cl.conv3d(histFrames > 0 ? hp.cl() : null, histFrames, xp.cl(), frames, h, w, op.cl(), spec,
                    cl.weight(wt), bt == null ? null : cl.weight(bt));
            cpu.conv3d(histFrames > 0 ? hp.cpu() : null, histFrames, xp.cpu(), frames, h, w, op.cpu(), spec,
                    cpu.weight(wt), bt == null ? null : cpu.weight(bt));
            String what = "conv3d " + spec + " h=" + h + " w=" + w + " hist=" + histFrames + " frames=" + frames + " " + dt;
            Props.assertClose(expect, cl.read(op.cl()), 1e-5, what);
            Props.assertClose(cpu.read(op.cpu()), cl.read(op.cl()), 1e-5, what + " (vs CPU backend)");
        });
    }

    @Test
    void rmsNormChannelsMatchesScalarLoops() {
        Props.forAll("opencl rmsNormChannels", 10, 62, rnd -> {
            int frames = 1 + rnd.nextInt(3), channels = 1 + rnd.nextInt(40), pixels = 1 + rnd.nextInt(300);
            boolean silu = rnd.nextBoolean(), inPlace = rnd.nextBoolean();
            DType dt = DTYPES[rnd.nextInt(3)];
            Tensor g = Tensor.wrap(Props.uniform(rnd, channels, 2), channels, 1, 1, 1).to(dt);
            float[] x = Props.normal(rnd, frames * channels * pixels);
            if (rnd.nextInt(4) == 0) java.util.Arrays.fill(x, 0, channels * pixels, 0f); // a zero frame: eps guards the division
            float[] gamma = g.toFloatArray(), expect = new float[x.length];
            for (int t = 0; t < frames; t++) {
                for (int p = 0; p < pixels; p++) {
                    double ss = 0;
                    for (int c = 0; c < channels; c++) ss += (double) x[(t * channels + c) * pixels + p] * x[(t * channels + c) * pixels + p];
                    double inv = Math.sqrt(channels) / Math.max(Math.sqrt(ss), 1e-12);
                    for (int c = 0; c < channels; c++) {
                        int i = (t * channels + c) * pixels + p;
                        double y = x[i] * inv * gamma[c];
                        expect[i] = (float) (silu ? y / (1 + Math.exp(-y)) : y);
                    }
                }
            }
            OpenClFixture.Pair xp = OpenClFixture.place(cpu, cl, rnd, x);
            OpenClFixture.Pair op = inPlace ? xp : OpenClFixture.place(cpu, cl, rnd, new float[x.length]);
            cl.rmsNormChannels(xp.cl(), op.cl(), frames, channels, pixels, 1e-12f, cl.weight(g), silu);
            cpu.rmsNormChannels(xp.cpu(), op.cpu(), frames, channels, pixels, 1e-12f, cpu.weight(g), silu);
            Props.assertClose(expect, cl.read(op.cl()), 1e-5, "rmsNormChannels " + frames + "x" + channels + "x" + pixels);
            Props.assertClose(cpu.read(op.cpu()), cl.read(op.cl()), 1e-5, "rmsNormChannels (vs CPU backend)");
        });
    }

    @Test
    void upsampleAndTransposeMoveEveryElement() {
        Props.forAll("opencl upsample/transpose", 10, 63, rnd -> {
            int planes = 1 + rnd.nextInt(5), h = 1 + rnd.nextInt(20), w = 1 + rnd.nextInt(20);
            float[] x = Props.normal(rnd, planes * h * w);
            float[] up = new float[4 * x.length];
            for (int p = 0; p < planes; p++)
                for (int y = 0; y < 2 * h; y++)
                    for (int xo = 0; xo < 2 * w; xo++) up[(p * 2 * h + y) * 2 * w + xo] = x[(p * h + y / 2) * w + xo / 2];
            OpenClFixture.Pair xp = OpenClFixture.place(cpu, cl, rnd, x), op = OpenClFixture.place(cpu, cl, rnd, new float[up.length]);
            cl.upsampleNearest2x(xp.cl(), op.cl(), planes, h, w);
            Props.assertClose(up, cl.read(op.cl()), 0, "upsample " + planes + "x" + h + "x" + w);

            int rows = 1 + rnd.nextInt(70), cols = 1 + rnd.nextInt(70);
            float[] m = Props.normal(rnd, rows * cols), mt = new float[m.length];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) mt[j * rows + i] = m[i * cols + j];
            OpenClFixture.Pair mp = OpenClFixture.place(cpu, cl, rnd, m), tp = OpenClFixture.place(cpu, cl, rnd, new float[m.length]);
            cl.transpose(mp.cl(), tp.cl(), rows, cols);
            Props.assertClose(mt, cl.read(tp.cl()), 0, "transpose " + rows + "x" + cols);
        });
    }

    /** The convolution written out (double accumulation), independent of the CPU backend's kernels. */
    static float[] conv3dRef(float[] hist, int histFrames, float[] x, int h, int w, int cin, int cout, int kt, int kh, int kw,
                             int st, int sh, int sw, int padFront, int padTop, int padLeft, int tOut, int hOut, int wOut,
                             float[] wt, float[] bias) {
        float[] out = new float[tOut * cout * hOut * wOut];
        int frame = cin * h * w;
        for (int t = 0; t < tOut; t++)
            for (int o = 0; o < cout; o++)
                for (int y = 0; y < hOut; y++)
                    for (int xo = 0; xo < wOut; xo++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int dt = 0; dt < kt; dt++) {
                            int tau = t * st + dt - padFront;
                            if (tau < 0) continue;
                            float[] src = tau < histFrames ? hist : x;
                            int base = (tau < histFrames ? tau : tau - histFrames) * frame;
                            for (int c = 0; c < cin; c++)
                                for (int dy = 0; dy < kh; dy++) {
                                    int yi = y * sh + dy - padTop;
                                    if (yi < 0 || yi >= h) continue;
                                    for (int dx = 0; dx < kw; dx++) {
                                        int xi = xo * sw + dx - padLeft;
                                        if (xi < 0 || xi >= w) continue;
                                        acc += (double) wt[(((o * cin + c) * kt + dt) * kh + dy) * kw + dx] * src[base + (c * h + yi) * w + xi];
                                    }
                                }
                        }
                        out[((t * cout + o) * hOut + y) * wOut + xo] = (float) acc;
                    }
        return out;
    }

}
