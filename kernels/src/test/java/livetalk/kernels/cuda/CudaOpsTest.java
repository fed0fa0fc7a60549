package livetalk.kernels.cuda;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The float32 kernels (norms, activations, RoPE, elementwise, memory ops) against the CPU at float32 tolerance. */
class CudaOpsTest extends CudaTestBase {

    @Test
    void norms() {
        Props.forAll("cuda norms", 20, 301, rnd -> {
            int rows = 1 + rnd.nextInt(50), dim = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 3000);
            float eps = rnd.nextBoolean() ? 1e-6f : 1e-5f;
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.BF16;
            Tensor g = Tensor.wrap(Props.uniform(rnd, dim, 1), dim).to(dt), b = Tensor.wrap(Props.uniform(rnd, dim, 1), dim).to(dt);
            boolean useG = rnd.nextBoolean(), useB = rnd.nextBoolean();
            float[] x = Props.uniform(rnd, rows * dim, 3);
            Pair xp = place(rnd, x), yp = place(rnd, new float[rows * dim]);
            cpu.layerNorm(xp.cpu(), yp.cpu(), rows, dim, eps, useG ? cpu.weight(g) : null, useB ? cpu.weight(b) : null);
            cuda.layerNorm(xp.gpu(), yp.gpu(), rows, dim, eps, useG ? cuda.weight(g) : null, useB ? cuda.weight(b) : null);
            Props.assertClose(cpu.read(yp.cpu()), cuda.read(yp.gpu()), 1e-5, "layerNorm " + rows + "x" + dim);
            cpu.rmsNorm(xp.cpu(), xp.cpu(), rows, dim, eps, useG ? cpu.weight(g) : null);   // in place
            cuda.rmsNorm(xp.gpu(), xp.gpu(), rows, dim, eps, useG ? cuda.weight(g) : null);
            Props.assertClose(cpu.read(xp.cpu()), cuda.read(xp.gpu()), 1e-5, "rmsNorm " + rows + "x" + dim);
        });
    }

    /**
     * The per-frame forms (one launch for every frame) against one modulate, gatedAdd or addRow per frame on
     * the same device, bit for bit: the same expression per element. Parameters at a frame stride
     * wider than dim, as the DiT's [frames, 6, dim] modulation; outputs float32 and bf16.
     */
    @Test
    void perFrameModulationIsOneCallPerFrame() {
        Props.forAll("cuda modulate frames", 20, 305, rnd -> {
            int frames = 1 + rnd.nextInt(4), perFrame = 1 + rnd.nextInt(40), dim = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 1600);
            int rows = frames * perFrame, n = rows * dim;
            long stride = dim + rnd.nextInt(3 * dim + 1);
            Buf x = place(rnd, Props.uniform(rnd, n, 3)).gpu(), y = place(rnd, Props.uniform(rnd, n, 3)).gpu();
            Buf params = place(rnd, Props.uniform(rnd, (int) ((frames - 1) * stride + 2L * dim), 1)).gpu();
            Buf shift = params.view(0, (frames - 1) * stride + dim), scale = params.view(dim, (frames - 1) * stride + dim);
            for (DType outType : new DType[]{DType.F32, DType.BF16}) {
                Buf one = cuda.alloc(n, outType), each = cuda.alloc(n, outType);
                cuda.modulateFrames(x, shift, scale, stride, one, frames, perFrame, dim);
                long rowLen = (long) perFrame * dim;
                for (int f = 0; f < frames; f++) {
                    cuda.modulate(x.view(f * rowLen, rowLen), shift.view(f * stride, dim), scale.view(f * stride, dim), each.view(f * rowLen, rowLen),
                            perFrame, dim);
                }
                CudaFusedOperandTest.assertSameBits(cuda.read(each), cuda.read(one), "modulateFrames " + outType + " " + frames + "x" + perFrame + "x" + dim);
            }
            Buf xOne = cuda.alloc(n), xEach = cuda.alloc(n);
            cuda.copy(x, xOne);
            cuda.copy(x, xEach);
            cuda.gatedAddFrames(xOne, y, shift, stride, frames, perFrame, dim);
            long rowLen = (long) perFrame * dim;
            for (int f = 0; f < frames; f++) {
                cuda.gatedAdd(xEach.view(f * rowLen, rowLen), y.view(f * rowLen, rowLen), shift.view(f * stride, dim), perFrame, dim);
            }
            CudaFusedOperandTest.assertSameBits(cuda.read(xEach), cuda.read(xOne), "gatedAddFrames " + frames + "x" + perFrame + "x" + dim);
            // addRowFrames: out of place, then in place as the DiT adds its audio rows
            Buf sumOne = cuda.alloc(n), sumEach = cuda.alloc(n);
            cuda.addRowFrames(x, shift, stride, sumOne, frames, perFrame, dim);
            for (int f = 0; f < frames; f++) {
                cuda.addRow(x.view(f * rowLen, rowLen), shift.view(f * stride, dim), sumEach.view(f * rowLen, rowLen), perFrame, dim);
            }
            CudaFusedOperandTest.assertSameBits(cuda.read(sumEach), cuda.read(sumOne), "addRowFrames " + frames + "x" + perFrame + "x" + dim);
            cuda.addRowFrames(sumOne, scale, stride, sumOne, frames, perFrame, dim);
            for (int f = 0; f < frames; f++) {
                Buf rowsF = sumEach.view(f * rowLen, rowLen);
                cuda.addRow(rowsF, scale.view(f * stride, dim), rowsF, perFrame, dim);
            }
            CudaFusedOperandTest.assertSameBits(cuda.read(sumEach), cuda.read(sumOne), "addRowFrames in place " + frames + "x" + perFrame + "x" + dim);
        });
    }

    @Test
    void activationsAndElementwise() {
        Props.forAll("cuda elementwise", 20, 302, rnd -> {
            int rows = 1 + rnd.nextInt(40), dim = 1 + rnd.nextInt(300), n = rows * dim;
            Pair a = place(rnd, Props.uniform(rnd, n, 4)), b = place(rnd, Props.uniform(rnd, n, 4));
            Pair vec = place(rnd, Props.uniform(rnd, dim, 1)), vec2 = place(rnd, Props.uniform(rnd, dim, 1));
            Pair out = place(rnd, new float[n]);
            for (int op = 0; op < 9; op++) {
                for (Backend be : new Backend[]{cpu, cuda}) {
                    boolean g = be == cuda;
                    Buf A = g ? a.gpu() : a.cpu(), B = g ? b.gpu() : b.cpu(), V = g ? vec.gpu() : vec.cpu(), V2 = g ? vec2.gpu() : vec2.cpu();
                    Buf O = g ? out.gpu() : out.cpu();
                    switch (op) {
                        case 0 -> be.add(A, B, O);
                        case 1 -> be.mul(A, B, O);
                        case 2 -> be.axpby(0.3f, A, -1.7f, B, O);
                        case 3 -> be.addRow(A, V, O, rows, dim);
                        case 4 -> be.modulate(A, V, V2, O, rows, dim);
                        case 5 -> { be.copy(A, O); be.gatedAdd(O, B, V, rows, dim); }
                        case 6 -> be.gelu(A, O, true);
                        case 7 -> be.gelu(A, O, false);
                        default -> be.silu(A, O);
                    }
                }
                Props.assertClose(cpu.read(out.cpu()), cuda.read(out.gpu()), 2e-6, "elementwise op " + op);
            }
            // toBf16 into bf16 storage, read back widened: bit-exact against the CPU (both round to nearest even)
            Buf hc = cpu.alloc(n, DType.BF16), hg = cuda.alloc(n + 3, DType.BF16).view(3, n);
            cpu.toBf16(a.cpu(), hc);
            cuda.toBf16(a.gpu(), hg);
            Props.assertClose(cpu.read(hc), cuda.read(hg), 0, "toBf16");
            Buf hg2 = cuda.alloc(n, DType.BF16);
            cuda.copy(hg, hg2);
            Props.assertClose(cpu.read(hc), cuda.read(hg2), 0, "copy of a bf16 buffer");
        });
    }

    @Test
    void rope() {
        Props.forAll("cuda rope", 10, 303, rnd -> {
            int rows = 1 + rnd.nextInt(60), heads = 1 + rnd.nextInt(4), hd = 2 * (1 + rnd.nextInt(64));
            Pair x = place(rnd, Props.uniform(rnd, rows * heads * hd, 2));
            Pair c = place(rnd, Props.uniform(rnd, rows * hd / 2, 1)), s = place(rnd, Props.uniform(rnd, rows * hd / 2, 1));
            cpu.rope(x.cpu(), rows, heads, hd, c.cpu(), s.cpu());
            cuda.rope(x.gpu(), rows, heads, hd, c.gpu(), s.gpu());
            Props.assertClose(cpu.read(x.cpu()), cuda.read(x.gpu()), 1e-6, "rope");
        });
    }

    @Test
    void memoryOps() {
        Props.forAll("cuda memory", 10, 304, rnd -> {
            int n = 1 + rnd.nextInt(5000);
            float[] v = Props.uniform(rnd, n, 9);
            Buf b = cuda.upload(v);
            Props.assertClose(v, cuda.read(b), 0, "upload/read");
            Buf c = cuda.alloc(n);
            Props.assertClose(new float[n], cuda.read(c), 0, "alloc is zero");
            cuda.copy(b, c);
            Props.assertClose(v, cuda.read(c), 0, "copy");
            int off = rnd.nextInt(n), len = rnd.nextInt(n - off + 1);
            cuda.fill(c.view(off, len), 2.5f);
            for (int i = off; i < off + len; i++) v[i] = 2.5f;
            Props.assertClose(v, cuda.read(c), 0, "fill of a view");
        });
    }

    @Test
    void weightFormsAgreeWithTheFile() {
        Props.forAll("cuda weight forms", 6, 305, rnd -> {
            int n = 1 + rnd.nextInt(100);
            float[] v = Props.uniform(rnd, n, 3);
            for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tensor t = Tensor.wrap(v, n).to(dt);
                Weight w = cuda.weight(t);
                Buf x = cuda.alloc(n), y = cuda.alloc(n);
                cuda.fill(x, 1f);
                cuda.rmsNorm(x, y, 1, n, 0f, w);   // the RMS norm of ones is 1·gamma: the float32 form itself
                Props.assertClose(t.toFloatArray(), cuda.read(y), 1e-6, "weight as float32 " + dt);
            }
        });
    }
}
