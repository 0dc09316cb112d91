package org.vmqsc.lab;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vmqsc.lab.cluster.Groups;
import org.vmqsc.lab.cluster.LocalCluster;
import org.vmqsc.server.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc bench storage}: what the stores hold over time, with the line's collection and without it, side by
 * side on the same machine. The same standalone cluster (a manager and agents as processes, one group of simulated
 * guests rewriting their memory) runs twice: once as shipped, once keeping every checkpoint behind the line
 * ({@code --kept-behind-line 1000}, the baseline: nothing is collected); every few seconds the bytes of stable storage
 * and of the agents' staging stores are sampled.
 */
@Command(name = "storage", mixinStandardHelpOptions = true,
    description = "Stable and staging storage over time with the recovery line's collection and without it, side by"
        + " side: MiB per sample, the ratio at the end, a chart.")
public final class StorageBenchCommand implements Callable<Integer> {

  @Option(names = "--seconds", description = "how long each run lasts after the group is enabled, 10..3600"
      + " (default: ${DEFAULT-VALUE})")
  int seconds = 120;

  @Option(names = "--vms", description = "VMs in the group, 1..64 (default: ${DEFAULT-VALUE})")
  int vms = 6;

  @Option(names = "--memory-mib", description = "memory of each simulated guest, 1..4096 MiB (default:"
      + " ${DEFAULT-VALUE})")
  int memoryMib = 16;

  @Option(names = "--t0-ms", description = "the group's base period T0 (default: ${DEFAULT-VALUE})")
  long t0Ms = 1000;

  @Option(names = "--sweep-grace-s", description = "the agents' sweep grace (default: ${DEFAULT-VALUE}; the"
      + " product's is 120)")
  long sweepGraceS = 20;

  @Option(names = "--sample-s", description = "seconds between two samples (default: ${DEFAULT-VALUE})")
  int sampleS = 5;

  @Option(names = "--out", description = "write the samples here as CSV (and a chart next to it, .svg)")
  Path out;

  /** One sample of a run: seconds since the group was enabled, bytes on stable storage, bytes in staging. */
  record Sample(double seconds, long stableBytes, long stagingBytes) {}

  @Override public Integer call() throws Exception {
    if (seconds < 10 || seconds > 3600) throw new IllegalArgumentException("--seconds must be 10..3600, got " + seconds);
    if (vms < 1 || vms > 64) throw new IllegalArgumentException("--vms must be 1..64, got " + vms);
    if (t0Ms < 100 || t0Ms > 60_000) throw new IllegalArgumentException("--t0-ms must be 100..60000, got " + t0Ms);
    if (sweepGraceS < 1 || sweepGraceS > 3600) {
      throw new IllegalArgumentException("--sweep-grace-s must be 1..3600, got " + sweepGraceS);
    }
    if (sampleS < 1 || sampleS > seconds) {
      throw new IllegalArgumentException("--sample-s must be 1.." + seconds + ", got " + sampleS);
    }
    ClusterCommand.checkSettings(3, 1, 3000, 1000, memoryMib);
    VmqscCommand.checkOutputFile("--out", out);
    System.out.printf(Locale.ROOT, "machine: %d cores, load average %.2f, Java %s%n",
        Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        System.getProperty("java.version"));
    System.out.printf(Locale.ROOT, "each run: a manager and 3 agents; %d VMs of %d MiB, T0 %d ms, %d s; sweep grace %d s%n",
        vms, memoryMib, t0Ms, seconds, sweepGraceS);
    List<Sample> collected = run("collected behind the line", 0);
    List<Sample> kept = run("nothing collected (--kept-behind-line 1000)", 1000);

    System.out.println();
    System.out.println("   s   stable MiB: collected / kept   staging MiB: collected / kept");
    for (int i = 0; i < Math.min(collected.size(), kept.size()); i++) {
      Sample c = collected.get(i);
      Sample k = kept.get(i);
      System.out.printf(Locale.ROOT, "%4.0f   %10.1f / %-10.1f        %10.1f / %.1f%n", c.seconds(),
          mib(c.stableBytes()), mib(k.stableBytes()), mib(c.stagingBytes()), mib(k.stagingBytes()));
    }
    Sample lastC = collected.get(collected.size() - 1);
    Sample lastK = kept.get(kept.size() - 1);
    System.out.printf(Locale.ROOT, "after %.0f s: stable storage %.1f MiB collected vs %.1f MiB kept (x%.2f);"
        + " staging %.1f vs %.1f MiB (x%.2f)%n", lastC.seconds(), mib(lastC.stableBytes()), mib(lastK.stableBytes()),
        (double) lastC.stableBytes() / Math.max(1, lastK.stableBytes()), mib(lastC.stagingBytes()),
        mib(lastK.stagingBytes()), (double) lastC.stagingBytes() / Math.max(1, lastK.stagingBytes()));
    if (out != null) {
      StringBuilder csv = new StringBuilder("seconds,stable_collected_bytes,stable_kept_bytes,staging_collected_bytes,"
          + "staging_kept_bytes\n");
      for (int i = 0; i < Math.min(collected.size(), kept.size()); i++) {
        csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%d,%d%n", collected.get(i).seconds(),
            collected.get(i).stableBytes(), kept.get(i).stableBytes(), collected.get(i).stagingBytes(),
            kept.get(i).stagingBytes()));
      }
      Files.writeString(out, csv);
      Path chart = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.csv$", "") + ".svg");
      Files.writeString(chart, chart(collected, kept));
      System.out.println("samples: " + out + "   chart: " + chart);
    }
    return 0;
  }

  private List<Sample> run(String label, int keptBehindLine) throws IOException, InterruptedException {
    System.out.println("run: " + label);
    Path folder = Files.createTempDirectory("vmqsc-bench-storage-");
    LocalCluster cluster = LocalCluster.start(folder, new LocalCluster.Settings(3, 3000, 1000, 4, memoryMib, false,
        keptBehindLine, sweepGraceS), line -> System.out.println("  " + line));
    List<Sample> samples = new ArrayList<>();
    try {
      ApiClient api = cluster.api();
      String group = Groups.create(api, "bench-storage", t0Ms, vms);
      Groups.enable(api, group);
      long start = System.nanoTime();
      for (int s = sampleS; s <= seconds; s += sampleS) {
        long due = start + Duration.ofSeconds(s).toNanos();
        Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
        Sample sample = new Sample((System.nanoTime() - start) / 1e9, bytes(folder.resolve("stable")),
            bytes(folder.resolve("agents")));
        samples.add(sample);
        System.out.printf(Locale.ROOT, "  %4.0f s  stable %.1f MiB, staging %.1f MiB; %s%n", sample.seconds(),
            mib(sample.stableBytes()), mib(sample.stagingBytes()), Groups.progress(api, group));
      }
    } finally {
      cluster.down(Duration.ofSeconds(10));
      deleteQuietly(folder);
    }
    return samples;
  }

  /**
   * Bytes of the regular files under {@code dir} (staging: the agents' folders, their stores in them). A folder that
   * vanishes during the walk (a collection at work) cuts the walk short: it is walked again, not counted short.
   */
  static long bytes(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return 0;
    for (int attempt = 1; ; attempt++) {
      long sum = 0;
      try (var files = Files.walk(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          try {
            if (Files.isRegularFile(f)) sum += Files.size(f);
          } catch (java.nio.file.NoSuchFileException deletedMeanwhile) {
            // a file collected while we looked: it no longer counts
          }
        }
        return sum;
      } catch (java.io.UncheckedIOException e) {
        if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 10) throw e.getCause();
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException | RuntimeException e) {
      System.out.println("  (could not delete " + dir + ": " + e.getMessage() + ")");
    }
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  /** Stable storage over time, both runs: MiB against seconds. */
  static String chart(List<Sample> collected, List<Sample> kept) {
    int w = 760, h = 360, left = 60, right = 190, top = 30, bottom = 40;
    double maxS = 1, maxMib = 1;
    for (List<Sample> run : List.of(collected, kept)) {
      for (Sample s : run) {
        maxS = Math.max(maxS, s.seconds());
        maxMib = Math.max(maxMib, mib(s.stableBytes()));
      }
    }
    double step = maxMib <= 50 ? 10 : maxMib <= 250 ? 50 : maxMib <= 500 ? 100 : maxMib <= 2500 ? 500 : 1000;
    maxMib = Math.ceil(maxMib / step) * step;
    double plotW = w - left - right, plotH = h - top - bottom;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d'"
        + " height='%d' font-family='sans-serif' font-size='11'>%n<rect width='100%%' height='100%%' fill='white'/>%n"
        + "<text x='%d' y='18' font-size='13'>Stable storage over time (MiB)</text>%n", w, h, left));
    for (double y = 0; y <= maxMib; y += step) {
      double py = top + plotH - y / maxMib * plotH;
      s.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%d'"
          + " y='%.1f' text-anchor='end'>%.0f</text>%n", left, w - right, py, py, left - 4, py + 4, y));
    }
    double xStep = maxS <= 60 ? 10 : maxS <= 300 ? 30 : maxS <= 1200 ? 120 : 600;
    for (double x = 0; x <= maxS; x += xStep) {
      s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' text-anchor='middle'>%.0f</text>%n",
          left + x / maxS * plotW, top + plotH + 14, x));
    }
    String[] colors = {"#2a9d8f", "#e76f51"};
    String[] labels = {"collected behind the line", "nothing collected"};
    List<List<Sample>> runs = List.of(collected, kept);
    for (int r = 0; r < runs.size(); r++) {
      StringBuilder points = new StringBuilder();
      for (Sample p : runs.get(r)) {
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + p.seconds() / maxS * plotW,
            top + plotH - mib(p.stableBytes()) / maxMib * plotH));
      }
      s.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n",
          colors[r], points.toString().trim()));
      s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='12' fill='%s'/><text x='%d' y='%d'>"
          + "%s</text>%n", w - right + 8, top + 20 + r * 20, colors[r], w - right + 24, top + 30 + r * 20, labels[r]));
    }
    s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>seconds since the group was"
        + " enabled</text>%n</svg>%n", (int) (left + plotW / 2), h - 8));
    return s.toString();
  }
}
