package livetalk.kernels.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Puts the JVM's signal handlers back after the OpenCL driver has replaced them.
 *
 * <p>Why: PoCL compiles our kernels with LLVM, and once PoCL has loaded (the first
 * {@code clGetPlatformIDs}, 2026-11-29) LLVM's crash handlers own SIGSEGV, SIGBUS, SIGILL, SIGABRT,
 * SIGINT, SIGTERM and more, with SA_RESETHAND; PoCL itself installs a SIGFPE handler. The JVM takes SIGSEGV on purpose: compiled code turns
 * a rarely-null test into a load that faults, and the JVM's handler turns the fault into a
 * deoptimisation. With LLVM's handler in its place, that fault killed the process ("Segmentation
 * fault", exit 139, no hs_err file), minutes after the OpenCL backend had been built, in code that
 * has nothing to do with OpenCL (docs/kernels.md, "The JVM's signal handlers"). The JDK's
 * signal-chaining library does not help: LLVM's handler is installed all the same.
 *
 * <p>How: the dispositions of the signals below are read once, before the first OpenCL call of the
 * process ({@link #jvm()}); after each OpenCL call that may compile, any disposition that differs is
 * written back, byte for byte ({@link #restore()}). LLVM registers its handlers once per process, so
 * after the first restore they stay the JVM's (in a test JVM that builds the kernels and launches
 * them, the only restore was the one after device discovery). Launches check SIGSEGV alone ({@link
 * #restoreIfSegvChanged()}: one system call), since PoCL compiles a kernel's work-group function
 * lazily, at its first launch. Linux only (glibc's {@code struct sigaction}, the same 152 bytes on
 * x86-64 and aarch64); elsewhere it does nothing.
 */
final class JvmSignalHandlers {
    /**
     * The signals LLVM's and PoCL's handlers take (Linux numbers, the same on x86-64 and aarch64):
     * SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2,
     * SIGPIPE, SIGTERM, SIGXCPU, SIGXFSZ, SIGSYS.
     */
    static final int[] GUARDED = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 24, 25, 31};
    static final int SIGSEGV = 11;
    /** {@code sizeof(struct sigaction)} in glibc on x86-64 and aarch64; allocated with room to spare. */
    private static final int SIGACTION_BYTES = 152, BUFFER_BYTES = 256;
    /** SA_RESTORER, 0x04000000, is bit 2 of the flags' fourth byte (little-endian). */
    private static final int FLAGS_BYTE_OF_SA_RESTORER = 136 + 3, SA_RESTORER_BIT = 0x04;

    private static final MethodHandle SIGACTION = bind();
    private static volatile JvmSignalHandlers jvm;

    /** Per thread, where the quick check after a launch has sigaction write SIGSEGV's disposition (no allocation per launch). */
    private static final ThreadLocal<MemorySegment> QUICK = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(BUFFER_BYTES));

    private final int[] signals;
    /** The saved {@code struct sigaction} of each signal, in the order of {@link #signals}. */
    private final byte[][] saved;
    /** Whether SIGSEGV is among the signals, and its saved handler (bytes 0–7) for the quick check. */
    private final boolean guardsSegv;
    private final long segvHandler;

    /** Reads the current dispositions of {@code signals}. */
    JvmSignalHandlers(int[] signals) {
        this.signals = signals.clone();
        this.saved = new byte[signals.length][];
        for (int i = 0; i < signals.length; i++) saved[i] = read(signals[i]);
        int segv = Arrays.stream(signals).boxed().toList().indexOf(SIGSEGV);
        this.guardsSegv = segv >= 0 && supported();
        this.segvHandler = guardsSegv ? MemorySegment.ofArray(saved[segv]).get(JAVA_LONG_UNALIGNED, 0) : 0;
    }

    /** True where the dispositions can be read and written (Linux with glibc's layout). */
    static boolean supported() {
        return SIGACTION != null;
    }

    /**
     * The JVM's own dispositions, read on the first call. The first call must come before the first
     * OpenCL call of the process: {@link ClDevice#list()} makes it.
     */
    static JvmSignalHandlers jvm() {
        JvmSignalHandlers j = jvm;
        if (j == null) {
            synchronized (JvmSignalHandlers.class) {
                if (jvm == null) jvm = new JvmSignalHandlers(GUARDED);
                j = jvm;
            }
        }
        return j;
    }

    /** Writes back every saved disposition that has changed; returns the signals written back. */
    synchronized List<Integer> restore() {
        List<Integer> restored = new ArrayList<>();
        if (!supported()) return restored;
        for (int i = 0; i < signals.length; i++) {
            if (!Arrays.equals(read(signals[i]), saved[i])) {
                write(signals[i], saved[i]);
                restored.add(signals[i]);
            }
        }
        return restored;
    }

    /**
     * Writes back every changed disposition if SIGSEGV's handler has changed (one system call and
     * no allocation when nothing has): the check after a launch, where a driver may just have
     * compiled. Without SIGSEGV among the signals, checks them all.
     */
    List<Integer> restoreIfSegvChanged() {
        if (!supported()) return List.of();
        if (!guardsSegv) return restore();
        MemorySegment now = QUICK.get();
        call(SIGSEGV, MemorySegment.NULL, now);
        return now.get(JAVA_LONG_UNALIGNED, 0) == segvHandler ? List.of() : restore();
    }

    /**
     * The current {@code struct sigaction} of a signal, as bytes: the handler (bytes 0–7), the
     * kernel's 64-signal mask (8–15) and the flags (136–139). The rest of glibc's 128-byte mask and
     * the padding are zeroed (glibc fills them from uninitialised stack), and so are the restorer
     * (144–151) and its flag, SA_RESTORER: glibc sets both itself on every call, so a default
     * disposition written back would otherwise never read back equal.
     */
    static byte[] read(int signal) {
        if (!supported()) return new byte[0];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(BUFFER_BYTES);
            call(signal, MemorySegment.NULL, old);
            byte[] b = old.asSlice(0, SIGACTION_BYTES).toArray(JAVA_BYTE);
            Arrays.fill(b, 16, 136, (byte) 0);
            Arrays.fill(b, 140, SIGACTION_BYTES, (byte) 0);
            b[FLAGS_BYTE_OF_SA_RESTORER] &= (byte) ~SA_RESTORER_BIT;
            return b;
        }
    }

    /** Sets a signal's disposition from bytes read by {@link #read}. */
    static void write(int signal, byte[] action) {
        if (!supported()) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment act = a.allocate(BUFFER_BYTES);
            MemorySegment.copy(MemorySegment.ofArray(action), 0, act, 0, action.length);
            call(signal, act, MemorySegment.NULL);
        }
    }

    private static void call(int signal, MemorySegment act, MemorySegment old) {
        int rc;
        try {
            rc = (int) SIGACTION.invokeExact(signal, act, old);
        } catch (Throwable t) {
            throw new IllegalStateException("sigaction(" + signal + ") failed: " + t, t);
        }
        if (rc != 0) throw new IllegalStateException("sigaction(" + signal + ") returned " + rc);
    }

    /** {@code int sigaction(int, const struct sigaction *, struct sigaction *)} from the C library, on Linux only. */
    private static MethodHandle bind() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("sigaction")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
