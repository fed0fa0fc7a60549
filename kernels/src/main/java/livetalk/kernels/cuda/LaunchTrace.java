package livetalk.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import livetalk.kernels.KernelException;

/**
 * Every kernel launch, one line each, to the file {@code LIVETALK_CUDA_TRACE} names (read once per
 * process; unset: nothing is written): the issuing thread, the kernel, grid, block, dynamic
 * shared memory and each argument in hex (a tensor map as {@code map}). Two runs of one command on
 * the stub driver (scripts/stub-cuda) issue the same lines when the CUDA backend's behaviour is the
 * same, device addresses included (the stub hands them out in allocation order), so
 * {@code scripts/launch-trace.sh} checks that a change to the Java side changes no launch, on a
 * machine without a GPU; on a GPU the file shows what ran before a fault.
 */
final class LaunchTrace {
    static final String ENV = "LIVETALK_CUDA_TRACE";
    private static final PrintStream OUT = open(System.getenv(ENV));

    private LaunchTrace() {
    }

    private static PrintStream open(String file) {
        if (file == null || file.isBlank()) return null;
        try {
            return new PrintStream(Files.newOutputStream(Path.of(file)), true);
        } catch (IOException | RuntimeException e) {
            throw new KernelException(ENV + "=" + file + ": cannot write the launch trace there (" + e.getMessage() + ")");
        }
    }

    static boolean on() {
        return OUT != null;
    }

    static void record(String kernel, int gx, int gy, int gz, int bx, int by, int smem, MemorySegment pointers, int[] widths) {
        StringBuilder s = new StringBuilder(128).append(Thread.currentThread().getName()).append(' ').append(kernel)
                .append(' ').append(gx).append(',').append(gy).append(',').append(gz).append(' ').append(bx).append(',').append(by)
                .append(' ').append(smem);
        for (int i = 0; i < widths.length; i++) {
            MemorySegment v = pointers.getAtIndex(ADDRESS, i).reinterpret(widths[i]);
            s.append(' ');
            if (widths[i] == 8) s.append(Long.toHexString(v.get(JAVA_LONG, 0)));
            else if (widths[i] == 4) s.append(Integer.toHexString(v.get(JAVA_INT, 0)));
            else s.append("map");
        }
        synchronized (OUT) {
            OUT.println(s);
        }
    }
}
