package org.vmqsc.lab;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmqsc.agent.driver.MappedImageFile;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.engine.Fingerprinter;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * {@code ./vmqsc bench engine --image FILE}: the engine's first checkpoint and restore of any image file, and its
 * incremental checkpoint of a copy with some of the pages rewritten, next to {@code lz4 -1}, {@code lz4 -d} and
 * {@code zstd -1} run on the same files in the same run, interleaved, as CPU time per byte (the tools' CPU time is
 * what {@code times} reports for their process). A tool has no incremental mode: it compresses the rewritten copy
 * whole, which is what it would do at every checkpoint. A tool that is not installed is left out and said so.
 */
final class ImageFileBench {

  private static final CheckpointKey KEY = new CheckpointKey("vm", "ck-1");
  private static final CheckpointKey NEXT = new CheckpointKey("vm", "ck-2");
  private static final Pattern TIMES = Pattern.compile("(\\d+)m([\\d.]+)s\\s+(\\d+)m([\\d.]+)s\\s*$");

  private long zeroBytes;  // of the last first checkpoint
  private final List<Double> readBackSeconds = new ArrayList<>();  // of each measured incremental checkpoint
  private final List<Double> readBackShares = new ArrayList<>();  // of the reused bytes, whose copies were read back
  private final Path image;
  private final Path work;
  private final int runs;
  private final int warmUp;
  private final double rewritePercent;

  /** The next image the incremental checkpoints, if given: else a copy of the image with pages rewritten. */
  private Path nextImage;
  /** Checkpoints of the engine's own choice that cut their image on a second thread (warm-up rounds included). */
  private int cutAheadCount;
  /** Checkpoints run with the engine's own choice of threads (a variant whose cutAhead is null). */
  private int ownChoiceCount;

  static final String FIRST = "vmqsc first checkpoint";
  static final String INCREMENTAL = "vmqsc incremental checkpoint";
  static final String ONE_THREAD = ", one thread";
  static final String STREAMED = ", image as a stream";
  static final String EVERY_COPY_READ_BACK = ", every reused copy read back";
  static final String LZ4_REWRITTEN = "lz4 -1 (rewritten copy)";
  static final String FLOOR = "read + XXH3 only (rewritten copy)";

  /** Wall and CPU seconds of one run, and the bytes it left on disk. */
  record Run(double wallSeconds, double cpuSeconds, long bytes) {}

  ImageFileBench(Path image, Path work, int runs, int warmUp, double rewritePercent) {
    this.image = image;
    this.work = work;
    this.runs = runs;
    this.warmUp = warmUp;
    this.rewritePercent = rewritePercent;
  }

  /**
   * The incremental checkpoints {@code next} instead of a rewritten copy: the same VM's memory a period later, say
   * two save streams of one guest.
   */
  ImageFileBench nextImage(Path next) {
    this.nextImage = next;
    return this;
  }

  /**
   * The image the incremental checkpoints: {@link #nextImage} if given, else a copy of the image with {@code
   * rewritePercent} of its 4 KiB pages rewritten with random bytes, the same rule as the synthetic image's second
   * version ({@link EngineBenchCommand#rewritePages}), page 0 excepted.
   */
  private Path rewrittenCopy() throws IOException {
    if (nextImage != null) {
      return nextImage;
    }
    Path copy = work.resolve("rewritten.img");
    Files.copy(image, copy);
    try (FileChannel out = FileChannel.open(copy, StandardOpenOption.WRITE)) {
      long pages = out.size() / 4096;
      byte[] page = new byte[4096];
      SplittableRandom random = new SplittableRandom(2);
      for (long i = Math.round(pages * rewritePercent / 100); i > 0; i--) {
        long at = random.nextLong(pages) * 4096;
        EngineBenchCommand.fillRandom(random, page, 0);
        // Page 0 stays: a save stream's first bytes say it is one, and so pick its chunker. Rewritten, the copy
        // was cut at pages while the image had been cut content-defined, and nothing of it was found again.
        if (at > 0) out.write(ByteBuffer.wrap(page), at);
      }
    }
    return copy;
  }

  /** Prints the figures; returns each measurement's runs by name, for tests. */
  Map<String, List<Run>> run() throws IOException, InterruptedException {
    long size = Files.size(image);
    boolean lz4 = installed("lz4");
    boolean zstd = installed("zstd");
    System.out.printf(Locale.ROOT, "engine on %s (%s), %d runs each interleaved after %d warm-up round(s), median "
        + "reported; load average %.2f; vmqsc's CPU time %s, the tools' from bash's times (getrusage)%n",
        image, BenchFigures.mib(size), runs, warmUp, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        ProcessCpuClock.resolution());
    byte[] head = new byte[ChunkerChoice.HEAD_BYTES];
    int headLength;
    try (InputStream in = Files.newInputStream(image)) {
      headLength = in.readNBytes(head, 0, head.length);
    }
    System.out.printf(Locale.ROOT, "  the hosts cut this image with %s (%s)%n",
        ChunkerChoice.standard().forImage(head, headLength).name(),
        ChunkerChoice.isSaveStream(head, headLength) ? "a save stream" : "raw memory: no save-stream header");
    Path rewritten = rewrittenCopy();
    Map<String, List<Run>> results = new LinkedHashMap<>();
    for (int r = 0; r < runs + warmUp; r++) {  // the first rounds warm up the JIT and the page cache, and are dropped
      Path dir = Files.createTempDirectory(work, "image");
      Map<String, Run> round = new LinkedHashMap<>();
      Path storeDir = dir.resolve("store");
      long[] readBack = new long[1];
      // The engine as an agent runs it (cutting ahead on a second thread when a core is idle), and on one thread,
      // in alternating order: the wall time the second thread saves, on the same image in the same run.
      boolean oneThreadFirst = r % 2 == 1;
      if (oneThreadFirst) checkpoints(round, dir.resolve("one-thread"), rewritten, Variant.FORCED_ONE_THREAD, null);
      checkpoints(round, storeDir, rewritten, Variant.AS_AN_AGENT, readBack);
      if (!oneThreadFirst) checkpoints(round, dir.resolve("one-thread"), rewritten, Variant.FORCED_ONE_THREAD, null);
      // The image read as a stream (QEMU's, through a pipe) rather than from a file, mapped as an agent reads one
      checkpoints(round, dir.resolve("streamed"), rewritten, Variant.AS_A_STREAM, null);
      // The integrity rule as it was before copies were read back in turns: at every reuse
      checkpoints(round, dir.resolve("every-copy"), rewritten, Variant.EVERY_COPY, null);
      if (r >= warmUp) readBackSeconds.add(readBack[0] / 1e9);
      // The store is opened first, untimed: an agent opens its store once, when it starts, not per restore.
      DirectoryStore store = DirectoryStore.open("bench", storeDir);
      round.put("vmqsc restore (verified, to a file)", timed(() -> {
        Path restored = dir.resolve("restored.img");
        CheckpointEngine.restoreToFile(KEY, store, restored, null);
        return Files.size(restored);
      }));
      round.put(FLOOR, timed(() -> readAndFingerprint(rewritten)));
      if (lz4) {
        round.put("lz4 -1", tool(image, dir, "lz4 -1 -q -c \"$1\" > \"$2/image.lz4\"", "image.lz4"));
        round.put(LZ4_REWRITTEN, tool(rewritten, dir, "lz4 -1 -q -c \"$1\" > \"$2/rewritten.lz4\"", "rewritten.lz4"));
        round.put("lz4 -d (to a file)", tool(image, dir, "lz4 -d -q -f \"$2/image.lz4\" \"$2/lz4.img\"", "lz4.img"));
      }
      if (zstd) {
        round.put("zstd -1", tool(image, dir, "zstd -1 -q -c \"$1\" > \"$2/image.zst\"", "image.zst"));
      }
      if (r >= warmUp) {
        round.forEach((what, run) -> results.computeIfAbsent(what, k -> new ArrayList<>()).add(run));
      }
      EngineBenchCommand.deleteTree(dir);
    }
    report(size, results, lz4, zstd);
    return results;
  }

  /**
   * {@code checkpoints} incremental checkpoints of one VM in one store, of the image and its rewritten copy in turn,
   * as an agent takes them period after period: its index, its store and the JVM stay warm, and the stored copies it
   * reads back pile up. Prints the CPU time per checkpoint (median and mean of the later half, the earlier half
   * warming up), next to {@code lz4 -1} of the rewritten copy, run after every tenth checkpoint.
   */
  void series(int checkpoints) throws IOException, InterruptedException {
    long size = Files.size(image);
    boolean lz4 = installed("lz4");
    System.out.printf(Locale.ROOT, "engine on %s (%s): %d incremental checkpoints in one store, the image and a copy"
            + " with %s %% of its pages rewritten in turn; load average %.2f; vmqsc's CPU time %s%n", image,
        BenchFigures.mib(size), checkpoints, rewritePercent,
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        ProcessCpuClock.resolution());
    Path rewritten = rewrittenCopy();
    Path dir = Files.createTempDirectory(work, "series");
    CheckpointEngine engine = new CheckpointEngine(DirectoryStore.open("bench", dir.resolve("store")),
        ChunkerChoice.standard());
    try (InputStream in = MappedImageFile.open(image)) {
      engine.store(new CheckpointKey("vm", "ck-0"), in, Map.of());
    }
    List<Run> later = new ArrayList<>();
    List<Run> tool = new ArrayList<>();
    List<Run> floor = new ArrayList<>();
    for (int i = 1; i <= checkpoints; i++) {
      Path version = i % 2 == 1 ? rewritten : image;
      CheckpointKey key = new CheckpointKey("vm", "ck-" + i);
      CheckpointStats[] stats = new CheckpointStats[1];
      Run run = timed(() -> {
        try (InputStream in = MappedImageFile.open(version)) {
          stats[0] = engine.store(key, in, Map.of());
          return stats[0].storedBytes();
        }
      });
      if (i > checkpoints / 2) {
        later.add(run);
        readBackSeconds.add(stats[0].readBackNanos() / 1e9);
        readBackShares.add((double) stats[0].readBackBytes() / stats[0].dedupBytes());
      }
      if (i % 10 == 0) {
        floor.add(timed(() -> readAndFingerprint(rewritten)));
        if (lz4) {
          tool.add(tool(rewritten, dir, "lz4 -1 -q -c \"$1\" > \"$2/rewritten.lz4\"", "rewritten.lz4"));
        }
      }
      if (i % Math.max(1, checkpoints / 10) == 0) {
        System.out.printf(Locale.ROOT, "  %d of %d checkpoints%n", i, checkpoints);
      }
    }
    EngineBenchCommand.deleteTree(dir);
    double median = median(later, Run::cpuSeconds);
    double mean = later.stream().mapToDouble(Run::cpuSeconds).average().orElse(Double.NaN);
    System.out.printf(Locale.ROOT, "  vmqsc incremental checkpoint, the later %d: CPU median %.3f s, mean %.3f s (%.2f"
            + " GB/s per core at the median), of which reading back reused chunks' stored copies %.3f s (%.0f %% of"
            + " the reused bytes' copies, median; each copy at least every %d checkpoints)%n",
        later.size(), median, mean, size / median / 1e9, BenchFigures.median(readBackSeconds),
        100 * BenchFigures.median(readBackShares), engine.readBackEvery());
    if (lz4 && !tool.isEmpty()) {
      double lz4Cpu = median(tool, Run::cpuSeconds);
      System.out.printf(Locale.ROOT, "  lz4 -1 of the rewritten copy, %d runs: CPU median %.3f s; the incremental at "
          + "%.2f x its speed per core%n", tool.size(), lz4Cpu, lz4Cpu / median);
      printFloor(median(floor, Run::cpuSeconds), BenchFigures.median(readBackSeconds), lz4Cpu);
    }
  }

  /**
   * What no incremental checkpoint here can go below, measured on its own: reading the file as the engine reads an
   * image file (through a mapping, {@link CheckpointEngine#PIECE_BYTES} at a time) and fingerprinting every 4 KiB
   * page that is not zeros with the engine's XXH3-128, nothing else. Returns the bytes fingerprinted.
   */
  private static long readAndFingerprint(Path file) throws IOException {
    Fingerprinter xxh3 = Fingerprinter.xxh3();
    byte[] block = new byte[CheckpointEngine.PIECE_BYTES];
    byte[] zeros = new byte[4096];
    long[] fingerprint = new long[2];
    long fingerprinted = 0;
    try (InputStream in = MappedImageFile.open(file)) {
      int n;
      while ((n = in.readNBytes(block, 0, block.length)) > 0) {
        for (int at = 0; at < n; at += 4096) {
          int length = Math.min(4096, n - at);
          if (Arrays.mismatch(block, at, at + length, zeros, 0, length) >= 0) {
            xxh3.fingerprint(block, at, length, fingerprint);
            fingerprinted += length;
          }
        }
      }
    }
    return fingerprinted;
  }

  /**
   * The floor ({@link #readAndFingerprint}) and with it the read-back of reused copies that the integrity rule asks
   * for (agent-ext README, "Reuse reads back"): the best an incremental could do here against {@code lz4 -1}.
   */
  private static void printFloor(double floorCpu, double readBack, double lz4Cpu) {
    System.out.printf(Locale.ROOT, "  the floor of an incremental here: reading the rewritten copy and fingerprinting"
            + " its non-zero pages, nothing else, CPU %.3f s = %.2f x lz4 -1's speed per core at most; with the"
            + " read-back of the reused copies (%.3f s) %.2f x at most%n", floorCpu, lz4Cpu / floorCpu, readBack,
        lz4Cpu / (floorCpu + readBack));
  }

  /** How an image is opened for the engine. */
  private interface Opener {
    InputStream open(Path file) throws IOException;
  }

  /**
   * One way the engine runs: the suffix its runs are reported under, its {@code cutAhead} (null: its own choice),
   * and how it reads an image file.
   */
  private record Variant(String suffix, Boolean cutAhead, Opener opener, int readBackEvery) {
    /** As an agent runs it: its own choice of threads, the file read through a mapping ({@link MappedImageFile}). */
    static final Variant AS_AN_AGENT = new Variant("", null, MappedImageFile::open, CheckpointEngine.READ_BACK_EVERY);
    static final Variant FORCED_ONE_THREAD =
        new Variant(ONE_THREAD, false, MappedImageFile::open, CheckpointEngine.READ_BACK_EVERY);
    /** The image read as a stream, as QEMU's comes through a pipe. */
    static final Variant AS_A_STREAM =
        new Variant(STREAMED, null, Files::newInputStream, CheckpointEngine.READ_BACK_EVERY);
    /** Every reused chunk's stored copy read back at every reuse, not in turns. */
    static final Variant EVERY_COPY = new Variant(EVERY_COPY_READ_BACK, null, MappedImageFile::open, 1);
  }

  /**
   * A first checkpoint of the image, then an incremental of the rewritten copy, into a new store at {@code storeDir},
   * run as {@code variant} says; their runs go into {@code round} under names ending in its suffix.
   */
  private void checkpoints(Map<String, Run> round, Path storeDir, Path rewritten, Variant variant, long[] readBack)
      throws IOException {
    CheckpointEngine[] engine = new CheckpointEngine[1];
    round.put(FIRST + variant.suffix(), timed(() -> {
      engine[0] = new CheckpointEngine(DirectoryStore.open("bench", storeDir), ChunkerChoice.standard())
          .cutAhead(variant.cutAhead()).readBackEvery(variant.readBackEvery());
      try (InputStream in = variant.opener().open(image)) {
        CheckpointStats stats = engine[0].store(KEY, in, Map.of());
        zeroBytes = stats.zeroBytes();
        countThreads(variant, stats);
        return stats.storedBytes();
      }
    }));
    round.put(INCREMENTAL + variant.suffix(), timed(() -> {
      try (InputStream in = variant.opener().open(rewritten)) {
        CheckpointStats stats = engine[0].store(NEXT, in, Map.of());
        if (readBack != null) readBack[0] = stats.readBackNanos();
        countThreads(variant, stats);
        return stats.storedBytes();
      }
    }));
  }

  /** Counts a checkpoint run with the engine's own choice of threads, and whether that cut ahead. */
  private void countThreads(Variant variant, CheckpointStats stats) {
    if (variant.cutAhead() == null) {
      ownChoiceCount++;
      if (stats.cutAhead()) cutAheadCount++;
    }
  }

  private void report(long size, Map<String, List<Run>> results, boolean lz4, boolean zstd) {
    for (Map.Entry<String, List<Run>> e : results.entrySet()) {
      double cpu = median(e.getValue(), Run::cpuSeconds);
      double wall = median(e.getValue(), Run::wallSeconds);
      long bytes = e.getValue().get(0).bytes();
      System.out.printf(Locale.ROOT, "  %-56s %6.2f GB/s per core (CPU %.3f s), wall %.3f s, %s %s%n",
          e.getKey(), size / cpu / 1e9, cpu, wall, BenchFigures.mib(bytes),
          e.getKey().equals(FLOOR) ? "fingerprinted" : "on disk");
    }
    System.out.printf(Locale.ROOT, "  the first checkpoint left %s of zeros out (%.1f %% of the image)%n",
        BenchFigures.mib(zeroBytes), 100.0 * zeroBytes / size);
    if (!lz4) {
      System.out.println("  lz4 is not installed: no comparison with it (apt-get install lz4)");
    }
    if (!zstd) {
      System.out.println("  zstd is not installed: no comparison with it (apt-get install zstd)");
    }
    List<Run> first = results.get(FIRST);
    List<Run> incremental = results.get(INCREMENTAL);
    List<Run> restore = results.get("vmqsc restore (verified, to a file)");
    // Reading back and comparing the reused chunks' stored copies, so that a damaged one never spreads: its share
    System.out.printf(Locale.ROOT, "  of the incremental checkpoint, reading back the reused chunks' stored copies: "
        + "%.3f s (of %.3f s wall)%n", BenchFigures.median(readBackSeconds), median(incremental, Run::wallSeconds));
    List<Run> firstOneThread = results.get(FIRST + ONE_THREAD);
    List<Run> incrementalOneThread = results.get(INCREMENTAL + ONE_THREAD);
    System.out.printf(Locale.ROOT, "  the engine's own choice cut the image on a second thread in %d of %d checkpoints;"
            + " its wall time against one thread's: first checkpoint %.2f x, incremental %.2f x%n", cutAheadCount,
        ownChoiceCount, ratio(first, firstOneThread, Run::wallSeconds),
        ratio(incremental, incrementalOneThread, Run::wallSeconds));
    if (lz4) {
      System.out.printf(Locale.ROOT, "  first checkpoint: %.2f x the speed of lz4 -1 per core, stores %.2f x its "
              + "bytes%n", ratio(results.get("lz4 -1"), first, Run::cpuSeconds),
          (double) first.get(0).bytes() / results.get("lz4 -1").get(0).bytes());
      System.out.printf(Locale.ROOT, "  incremental checkpoint (%s): %.2f x the speed of "
              + "lz4 -1 on that copy per core, stores %.2f x its bytes%n", nextImage != null ? "of " + nextImage
              : rewritePercent + " % of the pages rewritten",
          ratio(results.get(LZ4_REWRITTEN), incremental, Run::cpuSeconds),
          (double) incremental.get(0).bytes() / results.get(LZ4_REWRITTEN).get(0).bytes());
      System.out.printf(Locale.ROOT, "  the same, the image read as a stream instead of from its file: first checkpoint"
              + " %.2f x, incremental %.2f x lz4 -1's speed per core%n",
          ratio(results.get("lz4 -1"), results.get(FIRST + STREAMED), Run::cpuSeconds),
          ratio(results.get(LZ4_REWRITTEN), results.get(INCREMENTAL + STREAMED), Run::cpuSeconds));
      System.out.printf(Locale.ROOT, "  the incremental with every reused copy read back (instead of each at least"
              + " every %d checkpoints): %.2f x lz4 -1's speed per core%n", CheckpointEngine.READ_BACK_EVERY,
          ratio(results.get(LZ4_REWRITTEN), results.get(INCREMENTAL + EVERY_COPY_READ_BACK), Run::cpuSeconds));
      printFloor(median(results.get(FLOOR), Run::cpuSeconds), BenchFigures.median(readBackSeconds),
          median(results.get(LZ4_REWRITTEN), Run::cpuSeconds));
      System.out.printf(Locale.ROOT, "  restore: %.2f x the CPU time of lz4 -d, %.2f x its wall time%n",
          ratio(restore, results.get("lz4 -d (to a file)"), Run::cpuSeconds),
          ratio(restore, results.get("lz4 -d (to a file)"), Run::wallSeconds));
    }
    if (zstd) {
      System.out.printf(Locale.ROOT, "  first checkpoint: %.2f x the speed of zstd -1 per core, stores %.2f x its "
              + "bytes%n", ratio(results.get("zstd -1"), first, Run::cpuSeconds),
          (double) first.get(0).bytes() / results.get("zstd -1").get(0).bytes());
    }
  }

  /** median(a) / median(b). */
  private static double ratio(List<Run> a, List<Run> b, java.util.function.ToDoubleFunction<Run> what) {
    return median(a, what) / median(b, what);
  }

  private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> what) {
    return BenchFigures.median(runs.stream().map(what::applyAsDouble).toList());
  }

  private interface Work {
    long run() throws IOException;
  }

  /**
   * Runs work and counts the whole process's CPU time, every thread's (a restore checks chunks on several), the
   * garbage collector's and the JIT compiler's included.
   */
  private Run timed(Work work) throws IOException {
    long cpu = ProcessCpuClock.nanos();
    long wall = System.nanoTime();
    long bytes = work.run();
    return new Run((System.nanoTime() - wall) / 1e9, (ProcessCpuClock.nanos() - cpu) / 1e9, bytes);
  }

  /**
   * Runs a shell command with {@code input} as $1 and the run's folder as $2; its CPU time is the children's line of
   * the shell's {@code times}.
   */
  private static Run tool(Path input, Path dir, String command, String output)
      throws IOException, InterruptedException {
    long wall = System.nanoTime();
    // bash's times reads getrusage (to the millisecond); dash's counted clock ticks of 10 ms, a twentieth of lz4 -1's
    // time for the synthetic image, which moved the ratios against it by as much from run to run
    Process process = new ProcessBuilder("bash", "-c", command + " && times", "bash", input.toString(),
        dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    int exit = process.waitFor();
    double wallSeconds = (System.nanoTime() - wall) / 1e9;
    Matcher children = TIMES.matcher(out);
    if (exit != 0 || !children.find()) {
      throw new IOException("'" + command + "' failed (exit " + exit + "): " + out);
    }
    double cpu = Integer.parseInt(children.group(1)) * 60 + Double.parseDouble(children.group(2))
        + Integer.parseInt(children.group(3)) * 60 + Double.parseDouble(children.group(4));
    return new Run(wallSeconds, cpu, Files.size(dir.resolve(output)));
  }

  static boolean installed(String tool) {
    try {
      return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
