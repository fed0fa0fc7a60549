package livetalk.kernels.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernels a PTX module declares and the byte width of each one's parameters, read from its
 * text: ".param .u64 NAME_param_0" (or ".u64 .ptr .align 1 …") is 8 bytes, ".param .align 64 .b8 NAME_param_0[128]" (a tensor
 * map) 128. {@link CudaContext} holds every launch's arguments against these, so that an argument
 * list that does not match its kernel fails with the kernel's name rather than handing the driver
 * the wrong bytes.
 */
final class PtxEntries {
    private static final Pattern ENTRY = Pattern.compile("\\.entry (\\w+)\\(([^)]*)\\)");
    // ".u64 .ptr .global .align 16 NAME" is a pointer with an address space and alignment: 8 bytes all the same
    private static final Pattern PARAM = Pattern.compile(
            "\\.param (?:\\.align \\d+ \\.b8 \\w+\\[(\\d+)\\]|\\.[a-z](\\d+)(?: \\.ptr(?: \\.(?:global|shared|const|local))?(?: \\.align \\d+)?)? \\w+)");

    private PtxEntries() {
    }

    /** Kernel name → its parameters' widths in bytes, in order, for every entry of {@code ptx}. */
    static Map<String, int[]> paramWidths(String ptx) {
        Map<String, int[]> entries = new HashMap<>();
        Matcher e = ENTRY.matcher(ptx);
        while (e.find()) {
            List<Integer> widths = new ArrayList<>();
            Matcher m = PARAM.matcher(e.group(2));
            while (m.find()) widths.add(m.group(1) != null ? Integer.parseInt(m.group(1)) : Integer.parseInt(m.group(2)) / 8);
            entries.put(e.group(1), widths.stream().mapToInt(Integer::intValue).toArray());
        }
        return entries;
    }
}
