package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import livetalk.kernels.cuda.PtxResource;
import livetalk.model.dit.DitConfig;
import livetalk.tensor.DType;
import livetalk.testkit.DitWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA backend's Java side end to end on a machine without a GPU: the commands run against a
 * stand-in for the NVIDIA driver (scripts/stub-cuda/libcuda_stub.c, built here with the C
 * compiler: every call succeeds, kernels do nothing), in a JVM of their own so that it finds the
 * stub as libcuda.so.1. What this catches is what otherwise shows only on a lent GPU: an exception
 * in the launch path (an argument list built inside another, a size check, a lane that does not
 * close), a kernel the backend names that no module declares, a switch that does not parse. The
 * numbers are garbage by design; only that each command completes, and which kernels it launched,
 * is checked. Skipped, saying why, without a C compiler.
 */
class CudaStubDriverTest {
    @TempDir
    static Path tmp;

    /** The whole demo (umT5-free models, wav2vec2, DiT, VAE, the decode thread on a stream of its own) on the stub. */
    @Test
    void demoRunsOnTheCudaBackend() throws Exception {
        Path stub = buildStub();
        Path trace = tmp.resolve("launches.txt");
        Run r = run(stub, Map.of("LIVETALK_CUDA_TRACE", trace.toString()), "demo", "--device", "cuda", "--size", "64", "--seconds", "1",
                "--out", tmp.resolve("demo.mp4").toString());
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("cuda:stub device"), r.output);
        assertTrue(Files.size(tmp.resolve("demo.mp4")) > 0);
        // LIVETALK_CUDA_TRACE: one line per launch, the thread, kernel, grid, block, shared memory, then the arguments
        List<String> launches = Files.readAllLines(trace);
        assertTrue(launches.size() > 100, launches.size() + " launches traced");
        assertTrue(launches.stream().allMatch(l -> l.matches("\\S+ \\w+ \\d+,\\d+,\\d+ \\d+,\\d+ \\d+( (\\p{XDigit}+|map))*")), launches.get(0));
        assertTrue(launches.stream().anyMatch(l -> l.startsWith("main gemm_bf16_tn_tma_n")), "the DiT's products on the main thread");
        assertTrue(launches.stream().anyMatch(l -> l.startsWith("livetalk-decode conv_cl_wgmma_n")), "the VAE's convolutions on the decode thread");
    }

    /**
     * A device too small for the demo (the stub's LIVETALK_STUB_DEVICE_MIB): one line that says the
     * GPU is out of memory and how much was asked for, exit 2, and no video file.
     */
    @Test
    void aFullDeviceGivesOneLineAndNoFile() throws Exception {
        Path stub = buildStub();
        Path out = tmp.resolve("full.mp4");
        Run r = run(stub, Map.of("LIVETALK_STUB_DEVICE_MIB", "4"), "demo", "--device", "cuda", "--size", "64", "--seconds", "1", "--out", out.toString());
        assertEquals(2, r.exit, r.output);
        assertTrue(r.output.contains("error: out of GPU memory: ") && r.output.contains(" asked for, ") && r.output.contains("free of 4.0 MiB"), r.output);
        assertTrue(!r.output.contains("\tat "), "no stack trace: " + r.output);
        assertTrue(Files.notExists(out), "no half-written video");
    }

    /**
     * The official-size VAE decoder with its fused copies (LIVETALK_CUDA_VAE_FUSE=1): the norm's
     * scale, the normed copy with its history and the upsampling copy are launched by name, and
     * the residual adds happen in the convolutions' epilogue: the profiled latent frame's 33 adds
     * (32 residual blocks, one attention block) are its GEMMs' _resid twins, no add is left. On
     * the wgmma convolution (the stub's compute capability 9.0 default), the mma.sync one, and the
     * TMA-fed one plain and in its ping-pong form (whose 192-wide tiles, and the 64² stage's
     * launches of at most one tile per SM, take the persistent kernels), each launch held against
     * its kernel's PTX parameters by the stub.
     */
    @Test
    void vaeFusedCopiesRunOnTheCudaBackend() throws Exception {
        Path stub = buildStub();
        Map<String, String[]> twins = new TreeMap<>(Map.of(
                "wgmma", new String[]{"conv_cl_wgmma_n96_resid", "conv_cl_wgmma_n192_resid"},
                "fast", new String[]{"conv_cl_m96_resid", "conv_cl_m128_resid"},
                "tma", new String[]{"conv_cl_tma_h32_n96_resid", "conv_cl_tma_n96_resid", "conv_cl_tma_n192_resid"},
                "tma_pingpong", new String[]{"conv_cl_tma_h32_n96_pingpong_resid", "conv_cl_tma_n96_persistent_resid", "conv_cl_tma_n192_persistent_resid"}));
        for (Map.Entry<String, String[]> layout : twins.entrySet()) {
            Run r = run(stub, Map.of("LIVETALK_CUDA_VAE_FUSE", "1", "LIVETALK_CUDA_CONV", layout.getKey()), "bench-vae", "--device", "cuda",
                    "--frames", "1", "--profile");
            assertEquals(0, r.exit, r.output);
            for (String expected : new String[]{"rms_scale_channels", "conv_pad_cl_norm_hist16", "conv_pad_cl_up2"}) {
                assertTrue(r.output.contains(expected), layout.getKey() + ": no '" + expected + "' in:\n" + r.output);
            }
            int resid = 0;
            for (String twin : layout.getValue()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\n" + twin + " +(\\d+) ").matcher(r.output);
                assertTrue(m.find(), layout.getKey() + ": no '" + twin + "' in:\n" + r.output);
                resid += Integer.parseInt(m.group(1));
            }
            assertEquals(33, resid, layout.getKey() + ": the profiled latent frame's residual adds, each in a _resid twin:\n" + r.output);
            assertTrue(!r.output.contains("\nadd "), layout.getKey() + ": an add still launched:\n" + r.output);
        }
    }

    /**
     * The official-size VAE decoder on the TMA convolution's persistent and ping-pong kernels
     * (LIVETALK_CUDA_CONV=tma_persistent, =tma_pingpong): the halves kernel at the 512×512 stage
     * (96-channel copies) and the one-box kernel at 192 channels (persistent in both: a ping-pong
     * consumer cannot hold a 192-wide tile) launch as the stub allows (their rings' shared memory
     * allowed, two tensor maps each, the arguments their PTX's).
     */
    @Test
    void persistentAndPingPongTmaConvolutionsRunOnTheCudaBackend() throws Exception {
        Path stub = buildStub();
        for (String schedule : new String[]{"persistent", "pingpong"}) {
            Run r = run(stub, Map.of("LIVETALK_CUDA_CONV", "tma_" + schedule), "bench-vae", "--device", "cuda", "--frames", "1", "--profile");
            assertEquals(0, r.exit, r.output);
            for (String expected : new String[]{"\nconv_cl_tma_h32_n96_" + schedule + " ", "\nconv_cl_tma_n192_persistent "}) {
                assertTrue(r.output.contains(expected), "no '" + expected.strip() + "' in:\n" + r.output);
            }
        }
    }

    /**
     * A DiT with 128-wide heads through bench-dit's profile, with the keys split, q/k's norm
     * and RoPE fused, the GEMM's tile width by waves, the layer norm fused with its modulation and
     * the residual adds in the products' epilogue, on the GEMM's persistent kernels: the 96-wide TMA
     * GEMM (also as the _resid product, both persistent), the split flash attention and its merge, and the fused norms are launched (by name,
     * so each exists in the PTX modules), rope, modulate_frames and the residual adds are not, and
     * the profile's timeline is printed.
     */
    @Test
    void splitAttentionAndProfileRunOnTheCudaBackend() throws Exception {
        Path stub = buildStub();
        Path[] dit = smallDit("small-dit", 3);
        Run r = run(stub, Map.of("LIVETALK_CUDA_ATTN_SPLIT", "2", "LIVETALK_CUDA_NORM_ROPE", "1", "LIVETALK_CUDA_GEMM", "tma_waves",
                "LIVETALK_CUDA_NORM_MOD", "1", "LIVETALK_CUDA_RESIDUAL", "1", "LIVETALK_CUDA_GEMM_PERSISTENT", "1"), "bench-dit",
                "--device", "cuda", "--weights", dit[0].toString(), "--config", dit[1].toString(), "--runs", "2", "--profile");
        assertEquals(0, r.exit, r.output);
        // 256-wide products of 3072 rows take 96-wide tiles by waves (72 tiles, one wave)
        for (String expected : new String[]{"gemm_bf16_tn_tma_n96_persistent", "flash_attn_d128_tma_split", "flash_combine_d128", "rms_norm_rope_bf16out",
                "layer_norm_modulate_frames_bf16out", "gemm_bf16_tn_tma_n96_persistent_resid", "\nrms_norm_bf16out ", "timeline:", "host:"}) {
            assertTrue(r.output.contains(expected), "no '" + expected + "' in:\n" + r.output);
        }
        // q and k no longer go through rope and a rounding of their own (the cross-attention's q is normed into bf16)
        assertTrue(!r.output.contains("\nrope "), "rope still launched:\n" + r.output);
        // norm1 and norm2 are modulated in their norm's pass (the head's single modulate is another kernel), and the
        // residual adds happen in the products' epilogue
        assertTrue(!r.output.contains("\nmodulate_frames_bf16out "), "modulate_frames still launched:\n" + r.output);
        assertTrue(!r.output.contains("\ngated_add_frames "), "a gated residual add still launched:\n" + r.output);
        java.util.regex.Matcher resid = java.util.regex.Pattern.compile("\ngemm_bf16_tn_tma_n96_persistent_resid +(\\d+) ").matcher(r.output);
        assertTrue(resid.find() && resid.group(1).equals("9"), "3 residual products per layer of the profiled forward, 3 layers:\n" + r.output);
    }

    /**
     * The TMA GEMM's ping-pong kernels (LIVETALK_CUDA_GEMM_PERSISTENT=pingpong) launch as the stub
     * allows: their shared memory allowed, their arguments their PTX's, the residual products among them.
     * The stub reports 16 SMs here: the small DiT's products have fewer tiles than an H200's 132
     * SMs, which would send them to the persistent kernels (TmaTileSchedule.forTiles).
     */
    @Test
    void pingPongGemmLaunchesOnTheCudaBackend() throws Exception {
        Path stub = buildStub();
        Path[] dit = smallDit("small-dit-pp", 2);
        Run r = run(stub, Map.of("LIVETALK_CUDA_GEMM", "tma_waves", "LIVETALK_CUDA_RESIDUAL", "1", "LIVETALK_CUDA_GEMM_PERSISTENT", "pingpong",
                        "LIVETALK_STUB_MULTIPROCESSORS", "16"),
                "bench-dit", "--device", "cuda", "--weights", dit[0].toString(), "--config", dit[1].toString(), "--runs", "1", "--profile");
        assertEquals(0, r.exit, r.output);
        // with 16 SMs the waves rule takes 128-wide tiles for the 3072-row products and 96-wide for a narrower one
        for (String expected : new String[]{"\ngemm_bf16_tn_tma_n128_pingpong ", "\ngemm_bf16_tn_tma_n128_pingpong_resid ",
                "\ngemm_bf16_tn_tma_n96_pingpong "}) {
            assertTrue(r.output.contains(expected), "no '" + expected.strip() + "' in:\n" + r.output);
        }
    }

    /**
     * A random bf16 DiT of the official widths but {@code layers} layers of 256 columns in 2 heads of
     * 128 (the flash kernels' head size), written once to {@code name}.safetensors with its config: {weights, config}.
     */
    private Path[] smallDit(String name, int layers) throws Exception {
        DitConfig official = DitWeights.official1_3B();
        DitConfig small = new DitConfig(256, 512, layers, 2, official.inDim(), official.outDim(), 1, 2, 2, official.textDim(), official.freqDim(),
                official.audioInputDim(), official.audioPack(), official.audioHidden(), 1, official.eps(), official.ropeTheta());
        Path weights = tmp.resolve(name + ".safetensors"), config = tmp.resolve(name + ".json");
        DitWeights.random(small, 1, DType.BF16).write(weights, new TreeMap<>(Map.of("format", "pt")));
        Files.writeString(config, "{\"num_heads\": 2}");
        return new Path[] {weights, config};
    }

    /**
     * The stub itself refuses what the driver would (scripts/stub-cuda/stub_selftest.c): every check
     * above that a launch is valid rests on it. A kernel its module lacks, more threads than its
     * __launch_bounds__, its ring's shared memory before it was allowed, a grid row past 65535, and
     * tensor maps at an unaligned address, with an unaligned stride, or wider than their swizzle.
     */
    @Test
    void theStubRefusesWhatTheDriverWould() throws Exception {
        Path stub = buildStub();
        Path exe = tmp.resolve("stub_selftest");
        String cc = onPath("gcc") ? "gcc" : "cc";
        Process b = new ProcessBuilder(cc, "-o", exe.toString(), repoRoot().resolve("scripts/stub-cuda/stub_selftest.c").toString(),
                "-L" + stub, "-l:libcuda.so.1").redirectErrorStream(true).start();
        String log = new String(b.getInputStream().readAllBytes());
        assertTrue(b.waitFor(60, TimeUnit.SECONDS) && b.exitValue() == 0, "the self-test did not build: " + log);
        // the resource is gzipped and the self-test (C) reads PTX text: unzipped the way the backend does it
        Path ptx = tmp.resolve("gemm_tma_sm90.ptx");
        Files.writeString(ptx, PtxResource.text("gemm_tma_sm90"), StandardCharsets.US_ASCII);
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), ptx.toString()).redirectErrorStream(true);
        pb.environment().put("LD_LIBRARY_PATH", stub.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        // 0: success; 1: CUDA_ERROR_INVALID_VALUE; 500: CUDA_ERROR_NOT_FOUND
        assertEquals("""
                missing kernel: 500
                its 384 threads: 0
                512 threads: 1
                its ring, not allowed: 1
                its ring, allowed: 0
                grid y 65536: 1
                map: 0
                map, address 8 bytes off: 1
                map, stride 3080 bytes: 1
                map, 128 columns under a 128-byte swizzle: 1
                """, out);
    }

    private record Run(int exit, String output) {
    }

    /** livetalk's CLI in a JVM of its own with the stub first on the library path. */
    private static Run run(Path stubDir, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), "livetalk.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(tmp.toFile());
        String old = System.getenv("LD_LIBRARY_PATH");
        pb.environment().put("LD_LIBRARY_PATH", stubDir + (old == null || old.isEmpty() ? "" : File.pathSeparator + old));
        for (String k : List.of("LIVETALK_CUDA_GEMM", "LIVETALK_CUDA_ATTN", "LIVETALK_CUDA_CONV", "LIVETALK_CUDA_FUSE", "LIVETALK_CUDA_STREAMS",
                "LIVETALK_CUDA_ATTN_SPLIT", "LIVETALK_CUDA_VAE_FUSE", "LIVETALK_CUDA_NORM_ROPE", "LIVETALK_CUDA_NORM_MOD",
                "LIVETALK_CUDA_RESIDUAL", "LIVETALK_CUDA_GEMM_PERSISTENT")) {
            pb.environment().remove(k);
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the command did not finish: " + cmd);
        return new Run(p.exitValue(), new String(out));
    }

    /** Compiles the stub driver once into tmp/stub/libcuda.so.1. */
    private static synchronized Path buildStub() throws Exception {
        Path dir = tmp.resolve("stub"), lib = dir.resolve("libcuda.so.1");
        if (Files.exists(lib)) return dir;
        String cc = onPath("gcc") ? "gcc" : onPath("cc") ? "cc" : null;
        assumeTrue(cc != null, "no C compiler (gcc or cc) to build the stub driver");
        Path source = repoRoot().resolve("scripts/stub-cuda/libcuda_stub.c");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(cc, "-shared", "-fPIC", "-O2", "-o", lib.toString(), source.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "the stub driver did not build: " + log);
        return dir;
    }

    private static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("scripts/stub-cuda/libcuda_stub.c"))) return d;
        }
        throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
    }

    private static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) return true;
        }
        return false;
    }
}
