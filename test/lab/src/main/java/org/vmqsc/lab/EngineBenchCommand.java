package org.vmqsc.lab;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.Chunker;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.engine.GearChunker;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.DirectoryStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc bench engine}: how fast the checkpoint engine turns a memory image into a checkpoint, in GB/s per
 * core, next to a plain copy of the same bytes through the same buffer in the same run.
 */
@Command(name = "engine", mixinStandardHelpOptions = true,
    description = "Checkpoint engine throughput (GB/s per core) against a plain copy of the same bytes.")
public final class EngineBenchCommand implements Callable<Integer> {

  @Option(names = "--size-mib", defaultValue = "256", description = "Memory image size (default ${DEFAULT-VALUE}).")
  int sizeMiB;

  @Option(names = "--runs", defaultValue = "3", description = "Runs per measurement; the median is reported.")
  int runs;

  @Option(names = "--warm-up", defaultValue = "1", description = "Rounds run first and dropped, for the JIT compiler"
      + " and the page cache (default ${DEFAULT-VALUE}; a long-running agent is past its warm-up after a few"
      + " checkpoints, and a restore's code is compiled only once the agent has restored a few times).")
  int warmUp;

  @Option(names = "--rewrite-percent", defaultValue = "5",
      description = "Share of pages rewritten before the incremental checkpoint (default ${DEFAULT-VALUE}).")
  double rewritePercent;

  @Option(names = "--image", description = "Any image file: the engine's first checkpoint and restore of it, and its"
      + " incremental checkpoint of a copy with --rewrite-percent of the pages rewritten, next to lz4 -1, lz4 -d and"
      + " zstd -1 of the same files, if installed, instead of the synthetic image.")
  Path imageFile;

  @Option(names = "--next-image", description = "With --image: the incremental checkpoints this file (the same VM's"
      + " memory later: two save streams of one guest, say) instead of a copy with --rewrite-percent of the pages"
      + " rewritten; the rows named for the rewritten copy are of this file.")
  Path nextImage;

  @Option(names = "--series", defaultValue = "0", description = "With --image: instead of the side-by-side runs, this"
      + " many incremental checkpoints in one store, of the image and its rewritten copy in turn (each"
      + " --rewrite-percent away from the one before, as a guest's memory from one period to the next); CPU time"
      + " per checkpoint, median and mean of the later half, next to lz4 -1 of the rewritten copy run in between.")
  int series;

  @Option(names = "--save-image", description = "Writes the synthetic image of --size-mib to this file and stops"
      + " (to run --image on it, or other tools).")
  Path saveImage;

  @Option(names = "--dir", description = "Where the benchmark's stores go (default: the system temp directory).")
  Path dir;

  /** Wall and CPU seconds of one measured run. */
  private record Timing(double wallSeconds, double cpuSeconds) {}

  @Override public Integer call() throws Exception {
    // An image file is streamed, not held in memory: --size-mib does not apply to it.
    if (imageFile != null && !Files.isRegularFile(imageFile)) {
      throw new IllegalArgumentException("--image names no file: " + imageFile);
    }
    // The image and its rewritten copy are both in memory, in Java arrays (at most 2 GiB - 1 each).
    long maxMiB = Math.min(1024, Runtime.getRuntime().maxMemory() / 3 >> 20);
    if (imageFile == null && (sizeMiB < 16 || sizeMiB > maxMiB)) {
      throw new IllegalArgumentException("--size-mib must be in 16.." + maxMiB + " (two images must fit in this Java"
          + " heap and in a Java array), got " + sizeMiB);
    }
    if (runs < 1 || runs > 100) throw new IllegalArgumentException("--runs must be in 1..100, got " + runs);
    if (warmUp < 0 || warmUp > 100) throw new IllegalArgumentException("--warm-up must be in 0..100, got " + warmUp);
    if (!(rewritePercent > 0 && rewritePercent <= 100)) {
      throw new IllegalArgumentException("--rewrite-percent must be in (0, 100], got " + rewritePercent);
    }
    if (nextImage != null && imageFile == null) {
      throw new IllegalArgumentException("--next-image needs --image: it is the image the incremental checkpoints");
    }
    if (nextImage != null && !Files.isRegularFile(nextImage)) {
      throw new IllegalArgumentException("--next-image: no such file: " + nextImage);
    }
    if (series < 0 || series > 10_000 || (series > 0 && imageFile == null)) {
      throw new IllegalArgumentException("--series must be in 0..10000 and goes with --image, got " + series);
    }
    if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--dir names a file, not a folder: " + dir);
    }
    if (saveImage != null) {
      Files.write(saveImage, syntheticMemory(sizeMiB, 1));
      System.out.printf(Locale.ROOT, "wrote the synthetic %d MiB image to %s%n", sizeMiB, saveImage);
      return 0;
    }
    Path base = Files.createTempDirectory(dir != null ? Files.createDirectories(dir) : Path.of(
        System.getProperty("java.io.tmpdir")), "vmqsc-bench-engine");
    if (imageFile != null) {
      try {
        ImageFileBench bench = new ImageFileBench(imageFile, base, runs, warmUp, rewritePercent).nextImage(nextImage);
        if (series > 0) {
          bench.series(series);
        } else {
          bench.run();
        }
      } finally {
        deleteTree(base);
      }
      return 0;
    }
    System.out.printf(Locale.ROOT, "engine benchmark: %d MiB image (1/4 zero pages, 1/2 random, 1/4 text-like), "
        + "%d runs each, median reported; CPU time of the whole process; load average %.2f; stores in %s%n",
        sizeMiB, runs, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), base);
    byte[] image = syntheticMemory(sizeMiB, 1);
    byte[] changed = image.clone();
    rewritePages(changed, rewritePercent / 100.0, 2);
    long bytes = image.length;

    try {
      List<Timing> copy = new ArrayList<>();
      List<Timing> sha = new ArrayList<>();
      byte[] target = new byte[image.length];
      for (int r = 0; r < runs + warmUp; r++) {  // the first runs warm up the JIT and are dropped
        Timing c = measure(() -> plainCopy(new ByteArrayInputStream(image), target));
        Timing s = measure(() -> hashOnly(image));
        if (r >= warmUp) {
          copy.add(c);
          sha.add(s);
        }
      }
      report("plain copy (baseline)", bytes, copy, null);
      report("SHA-256 alone", bytes, sha, copy);

      Chunker chosen = ChunkerChoice.standard().forImage(image, ChunkerChoice.HEAD_BYTES);
      System.out.printf(Locale.ROOT, "  the hosts cut this image (raw memory: no save-stream header) with %s%n",
          chosen.name());
      Map<String, Long> incrementalBytes = new java.util.LinkedHashMap<>();
      for (Chunker chunker : new Chunker[] {new GearChunker(8192), new FixedChunker(1)}) {
        List<Timing> full = new ArrayList<>();
        List<Timing> incremental = new ArrayList<>();
        List<Timing> unchanged = new ArrayList<>();
        List<Timing> restarted = new ArrayList<>();
        CheckpointStats[] stats = new CheckpointStats[4];
        for (int r = 0; r < runs + warmUp; r++) {
          Path storeDir = Files.createTempDirectory(base, chunker.name());
          CheckpointEngine engine = new CheckpointEngine(DirectoryStore.open("bench", storeDir), chunker);
          Timing f = measure(() -> stats[0] = engine.store(new CheckpointKey("vm", "ck-1"),
              new ByteArrayInputStream(image), Map.of()));
          Timing i = measure(() -> stats[1] = engine.store(new CheckpointKey("vm", "ck-2"),
              new ByteArrayInputStream(changed), Map.of()));
          // The same image again: what every unchanged byte costs (no SHA-256, no chunking where it matches).
          Timing u = measure(() -> stats[2] = engine.store(new CheckpointKey("vm", "ck-3"),
              new ByteArrayInputStream(changed), Map.of()));
          // An agent restart: a new engine on the reopened store reads the VM's index from its newest manifest.
          CheckpointEngine afterRestart = new CheckpointEngine(DirectoryStore.open("bench", storeDir), chunker);
          Timing a = measure(() -> stats[3] = afterRestart.store(new CheckpointKey("vm", "ck-4"),
              new ByteArrayInputStream(image), Map.of()));
          if (r >= warmUp) {
            full.add(f);
            incremental.add(i);
            unchanged.add(u);
            restarted.add(a);
          }
          deleteTree(storeDir);
        }
        report("engine " + chunker.name() + ", first checkpoint", bytes, full, copy);
        System.out.printf(Locale.ROOT, "      stored %s of %s (zero pages excluded, the rest compressed)%n",
            BenchFigures.mib(stats[0].storedBytes()), BenchFigures.mib(bytes));
        report("engine " + chunker.name() + ", incremental", bytes, incremental, copy);
        System.out.printf(Locale.ROOT, "      %.1f %% of pages rewritten: stored %s = %.2f %% of the image%n",
            rewritePercent, BenchFigures.mib(stats[1].storedBytes()), 100.0 * stats[1].storedFraction());
        incrementalBytes.put(chunker.name(), stats[1].storedBytes());
        System.out.printf(Locale.ROOT, "      SHA-256-hashed %s (new chunks not named by staging key, plus the audit"
            + " sample); %s stored under staging keys, for the flush to hash%n",
            BenchFigures.mib(stats[1].sha256Bytes()), BenchFigures.mib(stats[1].stagedBytes()));
        report("engine " + chunker.name() + ", incremental, nothing rewritten", bytes, unchanged, copy);
        report("engine " + chunker.name() + ", incremental after agent restart", bytes, restarted, copy);
        System.out.printf(Locale.ROOT, "      (back to the first image: %.2f %% rewritten; the index is read from the "
            + "newest manifest)%n", rewritePercent);
      }
      compareWithBorg(base, image, changed, incrementalBytes, chosen.name());
    } finally {
      deleteTree(base);
    }
    System.out.println("== GB/s per core ==");
    double max = chart.values().stream().mapToDouble(d -> d).max().orElse(1);
    chart.forEach((what, rate) -> System.out.println(BenchFigures.bar(what.replace("engine ", ""), rate, max,
        String.format(Locale.ROOT, "%.2f", rate))));
    return 0;
  }

  /** Bytes stored for the rewritten version, each chunker's, next to borg's with one chunk per page. */
  private void compareWithBorg(Path base, byte[] image, byte[] changed, Map<String, Long> incrementalBytes,
                               String chosen) throws IOException, InterruptedException {
    if (!BorgComparison.available()) {
      System.out.println("  borg is not installed: no comparison of stored bytes with it (apt-get install borgbackup)");
      return;
    }
    long borg = BorgComparison.secondVersionBytes(Files.createTempDirectory(base, "borg"), image, changed,
        "fixed,4096");
    System.out.printf(Locale.ROOT, "  stored for the version with %.1f %% of pages rewritten, next to borg 1.2 "
        + "(--chunker-params fixed,4096 --compression lz4: %s):%n", rewritePercent, BenchFigures.mib(borg));
    incrementalBytes.forEach((chunker, bytes) -> System.out.printf(Locale.ROOT, "    %-28s %10s = %.2f x borg%s%n",
        "engine " + chunker, BenchFigures.mib(bytes), (double) bytes / borg,
        chunker.equals(chosen) ? "   (the hosts' choice for this image; target <= 1.1 x)" : ""));
  }

  /** Per-core rates reported so far, for the chart at the end. */
  private final Map<String, Double> chart = new java.util.LinkedHashMap<>();

  private void report(String what, long bytes, List<Timing> timings, List<Timing> baseline) {
    chart.put(what, bytes / BenchFigures.median(timings.stream().map(Timing::cpuSeconds).toList()) / 1e9);
    double wall = BenchFigures.median(timings.stream().map(Timing::wallSeconds).toList());
    double cpu = BenchFigures.median(timings.stream().map(Timing::cpuSeconds).toList());
    double perCore = bytes / cpu / 1e9;
    String ratio = "";
    if (baseline != null) {
      double baseCpu = BenchFigures.median(baseline.stream().map(Timing::cpuSeconds).toList());
      ratio = String.format(Locale.ROOT, "   = %.3f x plain copy", baseCpu / cpu);
    }
    System.out.printf(Locale.ROOT, "  %-52s %7.2f GB/s per core (CPU), %7.2f GB/s wall%s%n", what, perCore,
        bytes / wall / 1e9, ratio);
  }

  private interface Work {
    void run() throws IOException;
  }

  /**
   * Runs work and counts the CPU time of the whole process, every thread's (a checkpoint may place its chunks on a
   * second one, a restore checks chunks on several), the garbage collector's and the JIT compiler's included.
   */
  private Timing measure(Work work) throws IOException {
    long cpu = ProcessCpuClock.nanos();
    long wall = System.nanoTime();
    work.run();
    return new Timing((System.nanoTime() - wall) / 1e9, (ProcessCpuClock.nanos() - cpu) / 1e9);
  }

  /** The same stream shape as the engine: 4 MiB reads, then a copy into a second array. */
  private static void plainCopy(InputStream in, byte[] target) throws IOException {
    byte[] buffer = new byte[4 << 20];
    int at = 0;
    int n;
    while ((n = in.read(buffer)) > 0) {
      System.arraycopy(buffer, 0, target, at, n);
      at += n;
    }
  }

  private static void hashOnly(byte[] image) {
    ChunkHasher hasher = new ChunkHasher();
    for (int off = 0; off < image.length; off += 8192) {
      hasher.hash(image, off, Math.min(8192, image.length - off));
    }
  }

  static byte[] syntheticMemory(int sizeMiB, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] image = new byte[sizeMiB << 20];
    byte[] words = "the quick guest kernel maps pages of memory into process address space ".getBytes();
    for (int page = 0; page < image.length / 4096; page++) {
      int kind = random.nextInt(4);
      int off = page * 4096;
      if (kind == 1 || kind == 2) {
        fillRandom(random, image, off);
      } else if (kind == 3) {
        for (int i = 0; i < 4096; i++) {
          image[off + i] = words[(i + page * 7) % words.length];
        }
        image[off + random.nextInt(4096)] = (byte) random.nextInt();
      }
    }
    return image;
  }

  static void rewritePages(byte[] image, double fraction, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int pages = image.length / 4096;
    int count = (int) Math.round(pages * fraction);
    for (int i = 0; i < count; i++) {
      fillRandom(random, image, random.nextInt(pages) * 4096);
    }
  }

  static void fillRandom(SplittableRandom random, byte[] image, int off) {
    for (int i = 0; i < 4096; i += 8) {
      long v = random.nextLong();
      for (int b = 0; b < 8; b++) {
        image[off + i + b] = (byte) (v >>> (8 * b));
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
