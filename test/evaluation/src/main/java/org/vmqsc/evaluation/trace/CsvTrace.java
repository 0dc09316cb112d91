package org.vmqsc.evaluation.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vmqsc.evaluation.workload.Traffic;

/**
 * The plain trace anyone can produce: one message per line, {@code time,src,dst,bytes} (seconds, VM numbers from
 * 0, size in bytes), an optional header line with exactly those names (after any blank lines and comments, before
 * the first row), blank lines and {@code #} comments allowed, and a leading byte-order mark.
 * Lines need not be in time order. The group has max(VM number) + 1 VMs.
 */
public final class CsvTrace {
  public static final String HEADER = "time,src,dst,bytes";

  private CsvTrace() {}

  /** VM numbers run from 0 to MAX_VMS - 1: the evaluation keeps per-pair state, so more would not fit in memory. */
  public static final int MAX_VMS = 1024;

  public static Traffic read(Path file) throws IOException {
    if (Files.isDirectory(file)) throw new TraceFormatException(file.toString(), 0, "is a directory, not a trace file");
    List<String> lines = readLines(file);
    return read(new BufferedReader(new java.io.StringReader(String.join("\n", lines))), file.getFileName().toString());
  }

  /** The lines of a UTF-8 text file, without a leading byte-order mark; a binary file is a clear error. */
  static List<String> readLines(Path file) throws IOException {
    List<String> lines;
    try {
      lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new TraceFormatException(file.getFileName().toString(), 0, "is not UTF-8 text (a binary file?)");
    }
    if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) lines.set(0, lines.get(0).substring(1));
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).indexOf('\u0000') >= 0) {
        throw new TraceFormatException(file.getFileName().toString(), i + 1, "holds a NUL byte (a binary file?)");
      }
    }
    return lines;
  }

  /** Text from a trace, shortened for an error message. */
  static String shorten(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  public static Traffic read(BufferedReader r, String name) throws IOException {
    List<double[]> sends = new ArrayList<>();
    int maxVm = -1;
    String line;
    int no = 0;
    boolean headerPossible = true; // the header may follow blank lines and comments, but no data row
    while ((line = r.readLine()) != null) {
      no++;
      String s = (no == 1 && line.startsWith("\uFEFF") ? line.substring(1) : line).strip();
      if (s.isEmpty() || s.startsWith("#")) continue;
      if (headerPossible && s.replace(" ", "").equalsIgnoreCase(HEADER)) {
        headerPossible = false;
        continue;
      }
      headerPossible = false;
      String[] f = s.split(",", -1);
      if (f.length != 4) throw new TraceFormatException(name, no, "expected 4 fields (" + HEADER + "), found " + f.length);
      double time = number(f[0], "time", name, no);
      if (!(time >= 0 && time <= 1e15)) {
        throw new TraceFormatException(name, no, "time must be a finite number >= 0 and <= 1e15 s, got " + f[0].strip());
      }
      int src = vm(f[1], "src", name, no), dst = vm(f[2], "dst", name, no);
      if (src == dst) throw new TraceFormatException(name, no, "src and dst are both VM " + src);
      long bytes;
      try {
        bytes = Long.parseLong(f[3].strip());
      } catch (NumberFormatException e) {
        throw new TraceFormatException(name, no, "bytes must be a whole number, got '" + f[3].strip() + "'");
      }
      if (bytes < 0) throw new TraceFormatException(name, no, "bytes must be >= 0, got " + bytes);
      maxVm = Math.max(maxVm, Math.max(src, dst));
      sends.add(new double[] {time, src, dst, bytes});
    }
    if (sends.isEmpty()) throw new TraceFormatException(name, no, "no messages in the trace");
    Traffic t = new Traffic(name, maxVm + 1, sends, null, 0);
    return new Traffic(name, maxVm + 1, sends, null, defaultBasePeriod(t));
  }

  /** Without a base period given, a trace gets 16 of them over its length. */
  static double defaultBasePeriod(Traffic t) {
    double last = t.lastSendTime();
    return last > 0 ? last / 16 : 1;
  }

  private static double number(String s, String what, String name, int no) {
    try {
      return Double.parseDouble(s.strip());
    } catch (NumberFormatException e) {
      throw new TraceFormatException(name, no, what + " must be a number, got '" + s.strip() + "'");
    }
  }

  private static int vm(String s, String what, String name, int no) {
    try {
      int v = Integer.parseInt(s.strip());
      if (v < 0 || v >= MAX_VMS) {
        throw new TraceFormatException(name, no, what + " must be a VM number in 0.." + (MAX_VMS - 1) + ", got " + v);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new TraceFormatException(name, no, what + " must be a VM number in 0.." + (MAX_VMS - 1) + ", got '"
          + shorten(s.strip()) + "'");
    }
  }

  /** Writes traffic so that {@link #read} gives back exactly the same rows. */
  public static void write(Traffic t, Writer w) throws IOException {
    w.write(HEADER + "\n");
    for (double[] s : t.sends()) {
      w.write(Double.toString(s[0]) + "," + (int) s[1] + "," + (int) s[2] + "," + (long) s[3] + "\n");
    }
  }
}
