package livetalk.kernels.cuda;

import livetalk.kernels.KernelException;

/**
 * The process-wide switches of the CUDA backend: environment variables (all but
 * {@link #FUSE_ENV} with a system property beside them, which wins) that choose the kernels of
 * every {@link CudaBackend} a process creates, so that whole commands ({@code verify},
 * {@code bench-dit}, {@code bench-pipeline}) can run on them. Each is read once per process and
 * overrides the default that {@link CudaBackend}'s constructor chooses for its device
 * ({@link #apply}); which kernel is the default on which card is in
 * docs/cuda-performance.md#defaults. {@link CudaBackend#useGemm},
 * {@link CudaBackend#useFlash}, {@link CudaBackend#useConvLayout}, {@link CudaBackend#useVaeFuse}
 * and {@link CudaBackend#useBf16Operands} choose per backend in code instead.
 */
public final class CudaSwitches {
    private CudaSwitches() {
    }

    /**
     * The system property and the environment variable (the property wins) that choose the GEMM
     * of every CUDA backend a process creates: a {@link GemmKernel} name in any case, e.g.
     * {@code LIVETALK_CUDA_GEMM=wgmma}. Read once per process.
     */
    public static final String GEMM_PROPERTY = "livetalk.cuda.gemm", GEMM_ENV = "LIVETALK_CUDA_GEMM";
    private static String configuredGemm;   // "name=value" as given, or "" when unset; guarded by the class

    /**
     * The system property and the environment variable (the property wins) that choose the flash
     * attention kernel of every CUDA backend a process creates, as {@link #GEMM_PROPERTY} does for
     * the GEMM: a {@link FlashKernel} name in any case, e.g. {@code LIVETALK_CUDA_ATTN=wgmma}. Read
     * once per process.
     */
    public static final String ATTN_PROPERTY = "livetalk.cuda.attn", ATTN_ENV = "LIVETALK_CUDA_ATTN";
    private static String configuredAttn;   // as configuredGemm

    /**
     * The system property and the environment variable (the property wins) that split the TMA
     * flash attention's keys ({@link CudaBackend#useFlashSplits}): {@code auto} (by shape),
     * {@code off} or {@code 1}, or a count 2 to 8. With the TMA attention the default is {@code auto}
     * (run 10: within the bf16 bounds, faster; docs/cuda-performance.md#the-split-key-flash-attention).
     * Read once per process.
     */
    public static final String ATTN_SPLIT_PROPERTY = "livetalk.cuda.attnSplit", ATTN_SPLIT_ENV = "LIVETALK_CUDA_ATTN_SPLIT";
    private static String configuredAttnSplit;   // as configuredGemm

    /**
     * The system property and the environment variable (the property wins) that choose how every
     * CUDA backend of the process runs conv3d, as {@link #GEMM_PROPERTY} does for the GEMM: a
     * {@link ConvLayout} name in any case, e.g. {@code LIVETALK_CUDA_CONV=fast}. Read once per process.
     */
    public static final String CONV_PROPERTY = "livetalk.cuda.conv", CONV_ENV = "LIVETALK_CUDA_CONV";
    private static String configuredConv;   // as configuredGemm

    /**
     * The system property and the environment variable (the property wins) that let a thread run
     * on a CUDA stream of its own ({@link CudaBackend#concurrentQueue}): {@code LIVETALK_CUDA_STREAMS=2},
     * the default, so that the decoder overlaps the DiT. With 1 every thread issues to the legacy
     * default stream. Read once per process.
     */
    public static final String STREAMS_PROPERTY = "livetalk.cuda.streams", STREAMS_ENV = "LIVETALK_CUDA_STREAMS";
    private static Boolean configuredStreams;   // guarded by the class
    private static TmaTileSchedule configuredGemmSchedule;   // guarded by the class

    /**
     * The environment variable that switches bf16 operands off ({@code LIVETALK_CUDA_FUSE=0}) or on
     * ({@code 1}, the default) for every CUDA backend of the process ({@link CudaBackend#useBf16Operands});
     * read once, when {@link CudaBackend} loads ({@link #fuseConfigured}). The bits are the same
     * either way; on is faster (docs/cuda-performance.md#defaults).
     */
    public static final String FUSE_ENV = "LIVETALK_CUDA_FUSE";

    /**
     * The system property and the environment variable (the property wins) that fuse the VAE's
     * norm into the copy its convolutions read ({@link CudaBackend#useVaeFuse}):
     * {@code LIVETALK_CUDA_VAE_FUSE=1} on, {@code 0} off; unset, the default: on wherever the
     * convolution has the channels-last copy (run 10; docs/cuda-performance.md#defaults). Read once per process.
     */
    public static final String VAE_FUSE_PROPERTY = "livetalk.cuda.vaeFuse", VAE_FUSE_ENV = "LIVETALK_CUDA_VAE_FUSE";

    /**
     * The system property and the environment variable (the property wins) that fuse the DiT's q
     * and k RMSNorm with their RoPE rotation and their bf16 rounding ({@link CudaDitFusions#useNormRope}):
     * {@code LIVETALK_CUDA_NORM_ROPE=1} on, {@code 0} off; unset, the default: on (run 11: the same
     * bits, faster; docs/cuda-performance.md#the-dits-q-and-k-norm-fused-with-rope). Read once per process.
     */
    public static final String NORM_ROPE_PROPERTY = "livetalk.cuda.normRope", NORM_ROPE_ENV = "LIVETALK_CUDA_NORM_ROPE";

    /**
     * The system property and the environment variable (the property wins) that fuse the DiT's
     * norm1 and norm2 with their per-frame modulation ({@link CudaDitFusions#useNormMod}):
     * {@code LIVETALK_CUDA_NORM_MOD=1} on, {@code 0} off; unset, the default: on (run 11: the same
     * bits, faster; docs/cuda-performance.md#the-dits-layer-norm-fused-with-its-modulation). Read once per process.
     */
    public static final String NORM_MOD_PROPERTY = "livetalk.cuda.normMod", NORM_MOD_ENV = "LIVETALK_CUDA_NORM_MOD";

    /**
     * The system property and the environment variable (the property wins) that add the DiT's
     * output products into the residual stream in their epilogue ({@link CudaDitFusions#useResidualEpilogue}):
     * {@code LIVETALK_CUDA_RESIDUAL=1} on (with the TMA GEMM; elsewhere it changes nothing), {@code 0}
     * or unset off, the default (run 11: the same bits, but 1.5 % slower alone on the defaults)
     * (docs/cuda-performance.md#the-dits-residual-adds-in-the-products-epilogue). Read once per process.
     */
    public static final String RESIDUAL_PROPERTY = "livetalk.cuda.residual", RESIDUAL_ENV = "LIVETALK_CUDA_RESIDUAL";

    /**
     * The system property and the environment variable (the property wins) that launch the TMA
     * GEMM's persistent kernels ({@link CudaBackend#useGemmSchedule}): {@code
     * LIVETALK_CUDA_GEMM_PERSISTENT=1} one block per SM walking its tiles (with the TMA GEMM only),
     * {@code pingpong} the same with its two consumer warpgroups taking whole tiles in turns,
     * {@code 0} a block per tile; unset, the default: the persistent kernels with the TMA GEMM (run 10;
     * docs/cuda-performance.md#the-tma-gemms-persistent-kernels). Read once per process.
     */
    public static final String GEMM_PERSISTENT_PROPERTY = "livetalk.cuda.gemmPersistent", GEMM_PERSISTENT_ENV = "LIVETALK_CUDA_GEMM_PERSISTENT";

    /**
     * Overrides {@code be}'s defaults with the kernels the GEMM, attention, attention split and
     * conv3d switches name, in that order, then sets the VAE's fused norm and the GEMM's tile schedule
     * and the DiT's fused q/k norm and RoPE and its fused layer norm and modulation where their
     * switches are set (on or off), and turns the DiT's residual epilogue on if its switch says so. A kernel chosen for the whole process that this device cannot run is an error, not a
     * silent fall-back: a benchmark or verify run must measure what it says it measures.
     */
    static void apply(CudaBackend be) {
        String gemm = configuredGemm();
        if (gemm != null) {
            int eq = gemm.indexOf('=');
            GemmKernel k = GemmKernel.parse(gemm.substring(eq + 1), gemm.substring(0, eq));
            if (k.wgmma()) {
                String cannot = k.tma() ? be.tmaGemmUnavailableReason() : be.wgmmaUnavailableReason();
                if (cannot != null) throw new KernelException(gemm + ": the wgmma GEMM cannot run here: " + cannot);
            }
            be.useGemm(k);   // its own check passes: the context keeps the answer above
        }
        String attn = configuredAttn();
        if (attn != null) {
            int eq = attn.indexOf('=');
            FlashKernel k = FlashKernel.parse(attn.substring(eq + 1), attn.substring(0, eq));
            if (k.wgmma()) {
                String cannot = be.flashWgmmaUnavailableReason();
                if (cannot != null) throw new KernelException(attn + ": the wgmma flash attention cannot run here: " + cannot);
            }
            be.useFlash(k);   // as useGemm
        }
        String split = configuredAttnSplit();
        if (split != null) {
            int eq = split.indexOf('=');
            int n = parseAttnSplit(split.substring(eq + 1), split.substring(0, eq));
            if (n != 1 && !be.flashKernel().tma()) {
                throw new KernelException(split + ": only the TMA flash attention splits its keys, and this backend runs " + be.flashKernel()
                        + (be.flashWgmmaUnavailableReason() != null ? " (" + be.flashWgmmaUnavailableReason() + ")" : ""));
            }
            be.useFlashSplits(n);
        }
        String conv = configuredConv();
        if (conv != null) {
            int eq = conv.indexOf('=');
            ConvLayout l = ConvLayout.parse(conv.substring(eq + 1), conv.substring(0, eq));
            String cannot = be.convUnavailableReason(l);
            if (cannot != null) throw new KernelException(conv + ": the " + l + " convolution cannot run here: " + cannot);
            be.useConvLayout(l);   // as useGemm
        }
        if (isSet(VAE_FUSE_PROPERTY, VAE_FUSE_ENV)) {
            boolean on = vaeFuseConfigured();
            // the fusion is into the channels-last copy: with no such copy the switch would measure nothing
            if (on && !be.convLayout().channelsLast()) {
                throw new KernelException(configured(VAE_FUSE_PROPERTY, VAE_FUSE_ENV) + ": the fused VAE norm needs the channels-last convolution"
                        + " (LIVETALK_CUDA_CONV=fast, wgmma or tma), not " + be.convLayout());
            }
            be.useVaeFuse(on);
        }
        if (isSet(NORM_ROPE_PROPERTY, NORM_ROPE_ENV)) be.ditFusions().useNormRope(normRopeConfigured());
        if (isSet(NORM_MOD_PROPERTY, NORM_MOD_ENV)) be.ditFusions().useNormMod(normModConfigured());
        if (residualConfigured()) {
            // the adds go into the TMA kernels' epilogue: without them the switch would measure nothing
            if (!be.gemmKernel().tma()) {
                throw new KernelException(configured(RESIDUAL_PROPERTY, RESIDUAL_ENV) + ": the residual epilogue needs the TMA GEMM"
                        + " (compute capability 9.0, LIVETALK_CUDA_GEMM=tma), not " + be.gemmKernel());
            }
            be.ditFusions().useResidualEpilogue(true);
        }
        if (isSet(GEMM_PERSISTENT_PROPERTY, GEMM_PERSISTENT_ENV)) {
            TmaTileSchedule schedule = gemmScheduleConfigured();
            if (schedule != TmaTileSchedule.TILES && !be.gemmKernel().tma()) {
                throw new KernelException(configured(GEMM_PERSISTENT_PROPERTY, GEMM_PERSISTENT_ENV) + ": the persistent kernels are the TMA GEMM's"
                        + " (compute capability 9.0, LIVETALK_CUDA_GEMM=tma), not " + be.gemmKernel());
            }
            be.useGemmSchedule(schedule);
        }
    }

    /** "source=value" of the process-wide GEMM choice, or null when neither the property nor the variable is set. */
    static synchronized String configuredGemm() {
        if (configuredGemm == null) configuredGemm = configured(GEMM_PROPERTY, GEMM_ENV);
        return configuredGemm.isEmpty() ? null : configuredGemm;
    }

    /** "source=value" of the process-wide flash attention choice, or null when neither the property nor the variable is set. */
    static synchronized String configuredAttn() {
        if (configuredAttn == null) configuredAttn = configured(ATTN_PROPERTY, ATTN_ENV);
        return configuredAttn.isEmpty() ? null : configuredAttn;
    }

    /** "source=value" of the process-wide key split of the flash attention, or null when neither the property nor the variable is set. */
    static synchronized String configuredAttnSplit() {
        if (configuredAttnSplit == null) configuredAttnSplit = configured(ATTN_SPLIT_PROPERTY, ATTN_SPLIT_ENV);
        return configuredAttnSplit.isEmpty() ? null : configuredAttnSplit;
    }

    /** "auto": 0 (by shape); "off" or "1": 1; "2" to "8": that many. */
    static int parseAttnSplit(String value, String source) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("auto")) return 0;
        if (v.equals("off")) return 1;
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= LaunchGeometry.MAX_FLASH_SPLITS) return n;
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new KernelException(source + "=" + value + ": expected auto, off, or a number of key ranges from 1 to " + LaunchGeometry.MAX_FLASH_SPLITS);
    }

    /** "source=value" of the process-wide conv3d choice, or null when neither the property nor the variable is set. */
    static synchronized String configuredConv() {
        if (configuredConv == null) configuredConv = configured(CONV_PROPERTY, CONV_ENV);
        return configuredConv.isEmpty() ? null : configuredConv;
    }

    /** Whether {@link #STREAMS_ENV} (or the property) allows streams per thread: "2" or unset: yes; "1": no. */
    static synchronized boolean streamsConfigured() {
        if (configuredStreams == null) {
            String c = configured(STREAMS_PROPERTY, STREAMS_ENV);   // "source=value" or ""
            int eq = c.indexOf('=');
            configuredStreams = c.isEmpty() ? true : parseStreams(c.substring(eq + 1), c.substring(0, eq));
        }
        return configuredStreams;
    }

    /** "2" (or null/blank, the default): a thread may have a stream of its own; "1": one stream for every thread. */
    static boolean parseStreams(String value, String source) {
        if (value == null || value.isBlank()) return true;
        return switch (value.strip()) {
            case "1" -> false;
            case "2" -> true;
            default -> throw new KernelException(source + "=" + value + ": expected 1 (one stream) or 2 (the decoder on a stream of its own, the default)");
        };
    }

    /** The off-by-default 0/1 switches' values, read once per process each: property or variable name → on. */
    private static final java.util.Map<String, Boolean> configuredOnOff = new java.util.HashMap<>();   // guarded by the class

    /** Whether {@link #VAE_FUSE_ENV} (or the property) asks for the VAE's fused norm: "1" yes; "0" or unset no. */
    static boolean vaeFuseConfigured() {
        return onOffConfigured(VAE_FUSE_PROPERTY, VAE_FUSE_ENV, CudaSwitches::parseVaeFuse);
    }

    /** Whether {@link #NORM_ROPE_ENV} (or the property) asks for the DiT's fused q/k norm and RoPE: "1" yes; "0" or unset no. */
    static boolean normRopeConfigured() {
        return onOffConfigured(NORM_ROPE_PROPERTY, NORM_ROPE_ENV, CudaSwitches::parseNormRope);
    }

    /** Whether {@link #NORM_MOD_ENV} (or the property) asks for the DiT's norm and modulation in one pass: "1" yes; "0" or unset no. */
    static boolean normModConfigured() {
        return onOffConfigured(NORM_MOD_PROPERTY, NORM_MOD_ENV, CudaSwitches::parseNormMod);
    }

    /** Whether {@link #RESIDUAL_ENV} (or the property) asks for the residual adds in the products' epilogue: "1" yes; "0" or unset no. */
    static boolean residualConfigured() {
        return onOffConfigured(RESIDUAL_PROPERTY, RESIDUAL_ENV, CudaSwitches::parseResidual);
    }

    /** The TMA GEMM's schedule {@link #GEMM_PERSISTENT_ENV} (or the property) asks for, read the first time it is asked for. */
    static synchronized TmaTileSchedule gemmScheduleConfigured() {
        if (configuredGemmSchedule == null) {
            String c = configured(GEMM_PERSISTENT_PROPERTY, GEMM_PERSISTENT_ENV);   // "source=value" or ""
            int eq = c.indexOf('=');
            configuredGemmSchedule = c.isEmpty() ? TmaTileSchedule.TILES : parseGemmSchedule(c.substring(eq + 1), c.substring(0, eq));
        }
        return configuredGemmSchedule;
    }

    /** "1": the persistent kernels (the default with the TMA GEMM); "pingpong": the ping-pong ones; "0" (or null/blank): a block per tile. */
    static TmaTileSchedule parseGemmSchedule(String value, String source) {
        if (value == null || value.isBlank()) return TmaTileSchedule.TILES;
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "0" -> TmaTileSchedule.TILES;
            case "1" -> TmaTileSchedule.PERSISTENT;
            case "pingpong" -> TmaTileSchedule.PINGPONG;
            default -> throw new KernelException(source + "=" + value + ": expected 0 (" + TmaTileSchedule.TILES.meaning() + "), 1 ("
                    + TmaTileSchedule.PERSISTENT.meaning() + ": the default with the TMA GEMM) or pingpong (" + TmaTileSchedule.PINGPONG.meaning() + ")");
        };
    }

    /** "1": the VAE's norm fused into its convolutions' copy (the default where the copy exists); "0" (or null/blank): not. */
    static boolean parseVaeFuse(String value, String source) {
        return parseOnOff(value, source, "the norm, then the convolution's copy",
                "the norm applied as the copy is written: the default with the channels-last convolution");
    }

    /** "1" (the default): q and k normed, rotated and rounded in one pass; "0" (or null/blank): the three apart. */
    static boolean parseNormRope(String value, String source) {
        return parseOnOff(value, source, "rmsNorm, rope and the bf16 rounding apart", "in one pass: the default");
    }

    /** "1" (the default): the DiT's layer norm and its modulation in one pass; "0" (or null/blank): the two kernels apart. */
    static boolean parseNormMod(String value, String source) {
        return parseOnOff(value, source, "layer_norm, then modulate_frames", "in one pass: the default");
    }

    /** "1": the residual adds in the products' epilogue; "0" (or null/blank, the default): the product, then the add. */
    static boolean parseResidual(String value, String source) {
        return parseOnOff(value, source, "the product into scratch, then the add: the default", "the add in the product's epilogue");
    }

    /** The value of an off-by-default 0/1 switch, parsed from the property or the variable the first time it is asked for. */
    private static synchronized boolean onOffConfigured(String property, String env, java.util.function.BiPredicate<String, String> parse) {
        return configuredOnOff.computeIfAbsent(property, k -> {
            String c = configured(property, env);   // "source=value" or ""
            int eq = c.indexOf('=');
            return !c.isEmpty() && parse.test(c.substring(eq + 1), c.substring(0, eq));
        });
    }

    /** "1" on, "0" (or null/blank) off; anything else fails naming what each value means (off or on saying which is the default). */
    private static boolean parseOnOff(String value, String source, String off, String on) {
        if (value == null || value.isBlank()) return false;
        return switch (value.strip()) {
            case "0" -> false;
            case "1" -> true;
            default -> throw new KernelException(source + "=" + value + ": expected 0 (" + off + ") or 1 (" + on + ")");
        };
    }

    /**
     * Whether {@link #FUSE_ENV} asks for bf16 operands: read from the environment on each call;
     * {@link CudaBackend} calls it once, when it loads.
     */
    static boolean fuseConfigured() {
        return parseFuse(System.getenv(FUSE_ENV));
    }

    /** "1" (or null/blank, the default): bf16 operands; "0": float32 ones. */
    static boolean parseFuse(String value) {
        if (value == null || value.isBlank()) return true;
        return switch (value.strip()) {
            case "0" -> false;
            case "1" -> true;
            default -> throw new KernelException(FUSE_ENV + "=" + value + ": expected 0 (float32 operands) or 1 (bf16 operands, the default)");
        };
    }

    /** "-Dproperty=value" or "ENV=value" as given (the property wins), or "" when neither is set. */
    /** Whether the property or the variable is set to something: a switch whose default depends on the device acts only then. */
    private static boolean isSet(String property, String env) {
        return !configured(property, env).isEmpty();
    }

    private static String configured(String property, String env) {
        String p = System.getProperty(property), e = System.getenv(env);
        if (p != null && !p.isBlank()) return "-D" + property + "=" + p;
        if (e != null && !e.isBlank()) return env + "=" + e;
        return "";
    }
}
