package livetalk.kernels.cpu;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The per-core data cache sizes the CPU kernels block for, read once: from Linux's
 * {@code /sys/devices/system/cpu/cpu0/cache/index*} (level, type, size), or where a VM leaves
 * that empty (the 2-core Zen 5 machines do) from glibc's {@code sysconf}, which asks the CPU
 * itself (CPUID). Where neither answers (another OS, another C library) the sizes of the machine
 * the constants were first tuned on (32 KiB L1d, 1 MiB L2) stand in. The property
 * {@code livetalk.cache.l1d} / {@code livetalk.cache.l2} (bytes) overrides a size, for tuning.
 *
 * <p>Why: the kernels' block sizes are fractions of these caches (docs/kernels.md#kernel-families).
 * Fixed constants tuned on the AMD machines (32 KiB L1d, 1 MiB L2) under-use an Intel Xeon's 48 KiB
 * L1d and 2 MiB L2.
 */
final class CacheInfo {
    static final int DEFAULT_L1D = 32 << 10, DEFAULT_L2 = 1 << 20;

    /** Per-core level-1 data cache, bytes. */
    static final int L1D = size("livetalk.cache.l1d", 1, DEFAULT_L1D);
    /** Per-core (unified) level-2 cache, bytes. */
    static final int L2 = size("livetalk.cache.l2", 2, DEFAULT_L2);

    private CacheInfo() {
    }

    private static int size(String property, int level, int fallback) {
        Integer forced = Integer.getInteger(property);
        if (forced != null && forced > 0) return forced;
        int found = read(level);
        if (found <= 0) found = sysconf(level == 1 ? SC_LEVEL1_DCACHE_SIZE : SC_LEVEL2_CACHE_SIZE);
        return found > 0 ? found : fallback;
    }

    /** glibc's {@code _SC_LEVEL1_DCACHE_SIZE} and {@code _SC_LEVEL2_CACHE_SIZE} (bits/confname.h; Linux only). */
    static final int SC_LEVEL1_DCACHE_SIZE = 188, SC_LEVEL2_CACHE_SIZE = 191;

    /**
     * {@code sysconf(name)} through the FFM API on Linux, or 0 when it cannot be called or does not
     * know (musl answers 0 or -1 for the cache names; other systems number them differently).
     */
    static int sysconf(int name) {
        if (!System.getProperty("os.name", "").startsWith("Linux")) return 0;
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> fn = linker.defaultLookup().find("sysconf");
            if (fn.isEmpty()) return 0;
            MethodHandle h = linker.downcallHandle(fn.get(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            long v = (long) h.invokeExact(name);
            return v > 0 && v <= Integer.MAX_VALUE ? (int) v : 0;
        } catch (Throwable e) {   // no native access granted, no such symbol: the fallback sizes stand in
            return 0;
        }
    }

    /** The size of cpu0's data or unified cache of {@code level} in sysfs, or 0 when it cannot be read. */
    static int read(int level) {
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        for (int i = 0; i < 8; i++) {
            Path idx = dir.resolve("index" + i);
            try {
                if (!Files.isDirectory(idx)) continue;
                int lv = Integer.parseInt(Files.readString(idx.resolve("level")).trim());
                String type = Files.readString(idx.resolve("type")).trim();
                if (lv != level || type.equals("Instruction")) continue;
                return parseSize(Files.readString(idx.resolve("size")).trim());
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
        return 0;
    }

    /** "48K", "2048K", "32M" or plain bytes; 0 when unparseable. */
    static int parseSize(String s) {
        if (s.isEmpty()) return 0;
        long mult = switch (Character.toUpperCase(s.charAt(s.length() - 1))) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = mult == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long v = Long.parseLong(digits) * mult;
            return v > 0 && v <= Integer.MAX_VALUE ? (int) v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** {@code v} rounded down to a multiple of {@code m}, kept within {@code [lo, hi]}. */
    static int fit(long v, int m, int lo, int hi) {
        long r = v / m * m;
        return (int) Math.max(lo, Math.min(hi, r));
    }
}
