package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every driver entry point the backend binds, against its prototype in the CUDA toolkit's
 * {@code cuda.h} (installed on the build machines, not on the GPU machine): the same number of
 * arguments, each of the right kind (a pointer or handle, a 64-bit integer, a 32-bit one), and the
 * current version of the symbol (a name the header maps to {@code NAME_v2} must be bound as that).
 * A wrong descriptor would otherwise show only on a GPU, as a crash or a silently wrong argument.
 */
class CudaDriverSignatureTest {
    private static final Path HEADER = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "include", "cuda.h");
    /** Bound as the version-1 symbol before this test existed, and measured fine on a GPU since. */
    private static final Set<String> V1_ON_PURPOSE = Set.of("cuEventElapsedTime");
    private static final Set<String> HANDLES = Set.of("CUstream", "CUevent", "CUcontext", "CUmodule", "CUfunction", "CUmemoryPool");
    private static final Set<String> WIDE = Set.of("CUdeviceptr", "size_t", "cuuint64_t");

    @Test
    void bindingsMatchCudaH() throws Exception {
        assumeTrue(Files.isRegularFile(HEADER), "no CUDA toolkit header at " + HEADER);
        String h = Files.readString(HEADER);
        Map<String, MemoryLayout[]> sigs = CudaDriver.signatures();
        assertTrue(sigs.size() >= 39, "entry points: " + sigs.keySet());
        for (var e : sigs.entrySet()) {
            String name = e.getKey(), base = name.endsWith("_v2") ? name.substring(0, name.length() - 3) : name;
            Matcher m = Pattern.compile("CUresult CUDAAPI " + Pattern.quote(base) + "\\(([^;]*)\\);").matcher(h);
            assertTrue(m.find(), "no prototype of " + base + " in cuda.h");
            List<String> want = kinds(m.group(1));
            List<String> got = new ArrayList<>();
            for (MemoryLayout l : e.getValue()) got.add(kind(l));
            assertEquals(want, got, name + "(" + m.group(1).replaceAll("\\s+", " ") + ")");
            if (name.equals(base) && !V1_ON_PURPOSE.contains(name)) {
                assertFalse(Pattern.compile("#define " + Pattern.quote(name) + "\\s+(__CUDA_API_PT[A-Z]+\\()?" + Pattern.quote(name) + "_v\\d")
                        .matcher(h).find(), name + " has a newer version in cuda.h: bind that one");
            }
        }
    }

    /** The kinds of a C parameter list: ptr, i64 or i32. */
    private static List<String> kinds(String params) {
        List<String> out = new ArrayList<>();
        String p = params.strip();
        if (p.equals("void") || p.isEmpty()) return out;
        for (String one : p.split(",")) {
            String t = one.strip();
            String type = t.contains("*") ? "*" : t.replaceAll("\\s+\\w+$", "").replace("const ", "").strip();
            out.add(type.equals("*") || HANDLES.contains(type) ? "ptr" : WIDE.contains(type) ? "i64" : "i32");
        }
        return out;
    }

    private static String kind(MemoryLayout l) {
        if (l instanceof AddressLayout) return "ptr";
        if (l.equals(ValueLayout.JAVA_LONG)) return "i64";
        if (l.equals(ValueLayout.JAVA_INT)) return "i32";
        return l.toString();
    }
}
