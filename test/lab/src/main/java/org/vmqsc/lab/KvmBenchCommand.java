package org.vmqsc.lab;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.engine.GearChunker;
import org.vmqsc.agent.kvm.KvmDriver;
import org.vmqsc.agent.kvm.LabDisk;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc bench kvm}: checkpoints of a real QEMU guest (software emulation) through libvirt. For guests that
 * rewrite about 1 %, 5 % and 20 % of their memory between checkpoints: the bytes each incremental checkpoint
 * stores next to a full {@code virsh save} of the same guest; then the guest pause of background-snapshot versus
 * pre-copy, and the restore time next to a plain restore of the same image.
 */
@Command(name = "kvm", mixinStandardHelpOptions = true,
    description = "Real QEMU guest: incremental size vs a full save, guest pause, restore time, pause of a checkpoint"
        + " of memory and disks cut by the caller.")
public final class KvmBenchCommand implements Callable<Integer> {

  @Option(names = "--percents", split = ",", defaultValue = "1,5,20",
      description = "Shares of memory the guest rewrites between checkpoints (default ${DEFAULT-VALUE}).")
  List<Double> percents;

  @Option(names = "--checkpoints", defaultValue = "5", description = "Checkpoints per share (default ${DEFAULT-VALUE}).")
  int checkpoints;

  @Option(names = "--pause-samples", defaultValue = "20",
      description = "Checkpoints per mode for the pause percentiles (default ${DEFAULT-VALUE}).")
  int pauseSamples;

  @Option(names = "--cut-only", description = "Only the guest pause of checkpoints cut by the caller (pause +"
      + " checkpointPaused), memory and disks versus memory alone, on a guest with a 64 MiB data disk.")
  boolean cutOnly;

  @Option(names = "--compare-snapshots", description = "Only vmqsc's checkpoint next to CloudStack 4.22's KVM VM"
      + " snapshot with memory (internal qcow2 snapshot) and a full virsh save, interleaved on one guest of"
      + " --memory-mib: wall time, guest pause, bytes, time back.")
  boolean compareSnapshots;

  @Option(names = "--without-own-monitor", description = "With --compare-snapshots: the guest without a QMP monitor"
      + " of the agent's own, as CloudStack starts one (QEMU's memory stream reaches the agent through a pipe libvirt"
      + " hands QEMU, and every command goes through libvirt).")
  boolean withoutOwnMonitor;

  @Option(names = "--free-pages", description = "Only the first checkpoint of a guest that wrote half of --memory-mib"
      + " with random data and freed it, with its balloon's free page reporting off and on, alternately.")
  boolean freePages;

  @Option(names = "--rounds", defaultValue = "5", description = "Rounds of --compare-snapshots or --free-pages"
      + " (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warm-up", defaultValue = "2", description = "vmqsc checkpoints of the guest before the rounds of"
      + " --compare-snapshots, not counted: an agent checkpoints its guests every period, so its engine runs"
      + " compiled; the first of them is the full pass (default ${DEFAULT-VALUE}).")
  int warmUp;

  @Option(names = "--restores", defaultValue = "3", description = "Restores to time (default ${DEFAULT-VALUE}).")
  int restores;

  @Option(names = "--memory-mib", defaultValue = "128", description = "Guest memory (default ${DEFAULT-VALUE}).")
  int memoryMiB;

  @Option(names = "--fill-mib", defaultValue = "48",
      description = "Random data the guest keeps in memory, at most; less when the rewritten part is large, so that"
          + " both fit (default ${DEFAULT-VALUE}).")
  int fillMiB;

  /** Cold data plus the rewritten part must stay well inside the guest's memory, or its kernel runs out. */
  private int fillFor(int hotKiB) {
    return Math.max(8, Math.min(fillMiB, memoryMiB * 7 / 16 - hotKiB / 1024));
  }

  private record Row(double percent, long fullSaveBytes, long firstStored, List<Long> gearStored,
      List<Long> fixedStored) {}

  @Override public Integer call() throws Exception {
    if (memoryMiB < 64 || memoryMiB > 65_536) {
      throw new IllegalArgumentException("--memory-mib must be in 64..65536, got " + memoryMiB);
    }
    if (fillMiB < 0) throw new IllegalArgumentException("--fill-mib cannot be negative, got " + fillMiB);
    if (rounds < 2 || rounds > 100) throw new IllegalArgumentException("--rounds must be 2..100, got " + rounds);
    if (warmUp < 0 || warmUp > 20) throw new IllegalArgumentException("--warm-up must be 0..20, got " + warmUp);
    if (withoutOwnMonitor && !compareSnapshots) {
      throw new IllegalArgumentException("--without-own-monitor goes with --compare-snapshots");
    }
    // The rewritten part plus 8 MiB of other data must fit in 7/16 of the guest's memory, or its kernel panics.
    double maxPercent = Math.floor(1000.0 * (memoryMiB * 7 / 16 - 8) / memoryMiB) / 10;
    for (Double percent : percents) {
      if (percent == null || !(percent > 0 && percent <= maxPercent)) {
        throw new IllegalArgumentException("--percents must each be in (0, " + maxPercent + "] for a " + memoryMiB
            + " MiB guest (the rewritten part must fit in its memory), got " + percent);
      }
    }
    if (checkpoints < 2 || pauseSamples < 1 || restores < 1) {
      throw new IllegalArgumentException("need --checkpoints >= 2, --pause-samples >= 1, --restores >= 1");
    }
    String unavailable = LabGuest.unavailableReason().orElse(null);
    if (unavailable != null) {
      System.err.println("vmqsc bench kvm: " + unavailable);
      return 1;
    }
    if (checkpoints < 2 || pauseSamples < 1 || restores < 1) {
      throw new IllegalArgumentException("need --checkpoints >= 2, --pause-samples >= 1, --restores >= 1");
    }
    Path work = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "vmqsc-bench-kvm");
    Connect connect = LabGuest.connect();
    List<Row> rows = new ArrayList<>();
    Map<CaptureMode, List<Double>> pauses = new LinkedHashMap<>();
    List<double[]> restoreTimes = new ArrayList<>();
    System.out.printf(Locale.ROOT, "kvm benchmark: %d MiB TCG guest; %d checkpoints per share; incremental sizes are"
        + " medians of checkpoints 2..%d; host load average %.1f on %d cores%n", memoryMiB, checkpoints, checkpoints,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());
    List<String> cutSummary = new ArrayList<>();
    try (KvmDriver driver = new KvmDriver(connect, work.resolve("scratch"))) {
      if (compareSnapshots || freePages) {
        List<String> summary = compareSnapshots
            ? new SnapshotComparison(new KvmBench(connect, driver, work, memoryMiB, rounds, warmUp, !withoutOwnMonitor)).run()
            : new FreePageComparison(new KvmBench(connect, driver, work, memoryMiB, rounds, warmUp, !withoutOwnMonitor)).run();
        summary.forEach(System.out::println);
        return 0;
      }
      for (double percent : cutOnly ? List.<Double>of() : percents) {
        int hotKiB = (int) Math.round(memoryMiB * 1024 * percent / 100);
        LabGuest.Spec spec = new LabGuest.Spec("vmqsc-bench", memoryMiB, fillFor(hotKiB), hotKiB, 0.1);
        System.out.printf(Locale.ROOT, "-- %.0f %% rewritten (%d KiB per tick, %d MiB of other random data): booting the"
            + " guest%n", percent, hotKiB, spec.fillMiB());
        try (LabGuest guest = LabGuest.start(connect, spec)) {
          guest.awaitTickCount(2, 180_000);
          Path dir = Files.createDirectories(work.resolve("p" + percent));
          CheckpointEngine gear = new CheckpointEngine(DirectoryStore.open("gear", dir.resolve("gear")),
              new GearChunker(8192));
          CheckpointEngine fixed = new CheckpointEngine(DirectoryStore.open("fixed", dir.resolve("fixed")),
              new FixedChunker(1));
          List<Long> gearStored = new ArrayList<>();
          List<Long> fixedStored = new ArrayList<>();
          long firstStored = 0;
          byte[] lastImage = null;
          for (int k = 1; k <= checkpoints; k++) {
            guest.awaitTickCount(guest.ticks().size() + 2, 120_000);  // every tick rewrites the whole hot part
            CheckpointKey key = new CheckpointKey(spec.name(), "ck-" + k);
            CheckpointStats[] stats = new CheckpointStats[2];
            byte[][] image = new byte[1][];
            Capture capture = driver.checkpoint(spec.name(), (in, c) -> {
              image[0] = in.readAllBytes();
              stats[0] = gear.store(key, new ByteArrayInputStream(image[0]), Map.of());
              stats[1] = fixed.store(key, new ByteArrayInputStream(image[0]), Map.of());
            });
            lastImage = image[0];
            System.out.printf(Locale.ROOT, "   checkpoint %d (%s, pause %d ms): image %s, stored %s (content-defined)"
                    + " / %s (4 KiB pages)%n", k, capture.mode(), capture.guestPause().toMillis(),
                BenchFigures.mib(stats[0].imageBytes()), BenchFigures.mib(stats[0].storedBytes()),
                BenchFigures.mib(stats[1].storedBytes()));
            if (k == 1) {
              firstStored = stats[0].storedBytes();
            } else {
              gearStored.add(stats[0].storedBytes());
              fixedStored.add(stats[1].storedBytes());
            }
          }
          if (Math.abs(percent - 5) < 1e-9 || percents.size() == 1) {
            measurePauses(driver, guest, pauses);
            restoreTimes.addAll(measureRestores(connect, driver, guest, gear, lastImage, dir,
                new CheckpointKey(spec.name(), "ck-" + checkpoints)));
          }
          long fullSave = fullSave(connect, spec.name(), dir.resolve("full.save"));
          rows.add(new Row(percent, fullSave, firstStored, gearStored, fixedStored));
        }
      }
      cutSummary = measureCutPauses(connect, driver);
    } finally {
      connect.close();
      EngineBenchCommand.deleteTree(work);
    }
    printSummary(rows, pauses, restoreTimes);
    cutSummary.forEach(System.out::println);
    return 0;
  }

  /**
   * The guest pause of a checkpoint whose instant the caller cuts (pause, then checkpointPaused), with the disk
   * snapshot and without, next to the live memory-only checkpoint; the three are interleaved on one guest with a
   * 64 MiB qcow2 data disk, written between checkpoints. Then the layers behind the last checkpoint are collected,
   * and cuts with disks are measured again with the chain collected after each.
   */
  private List<String> measureCutPauses(Connect connect, KvmDriver driver) throws Exception {
    int hotKiB = (int) Math.round(memoryMiB * 1024 * 5 / 100.0);
    LabGuest.Spec spec = new LabGuest.Spec("vmqsc-bench-cut", memoryMiB, fillFor(hotKiB), hotKiB, 0.1);
    Path dir = LabDisk.directory("bench-cut");
    // Interleaved first, each on the guest's own disk file; the overlays after them, since each moves the disk onto
    // a new file (the next backup layer would then start with a full copy).
    String[] names = {"memory, live (QEMU downtime)", "memory, cut by caller", "memory + disks (backup layers)",
        "the same, all through libvirt", "memory + internal disk snapshots", "memory + disks (overlays)",
        "overlays, chain collected"};
    KvmDriver.DiskCut[] cuts = {KvmDriver.DiskCut.NONE, KvmDriver.DiskCut.NONE, KvmDriver.DiskCut.BACKUP_LAYERS,
        KvmDriver.DiskCut.BACKUP_LAYERS, KvmDriver.DiskCut.INTERNAL_SNAPSHOTS, KvmDriver.DiskCut.OVERLAYS};
    int overlaysKind = cuts.length - 1;
    Map<String, List<Double>> pause = new LinkedHashMap<>();
    List<Double> prepare = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    System.out.printf(Locale.ROOT, "-- cut by the caller: %d checkpoints per kind, interleaved, on a guest with a"
        + " 64 MiB qcow2 data disk (5 %% rewritten)%n", pauseSamples);
    try (LabGuest guest = LabDisk.start(connect, spec, dir, 64).guest()) {
      guest.awaitTickCount(3, 180_000);
      Path lastFrozen = null;
      // Round -1 warms up (not counted): the driver's code paths compiled, and each backup layer's first copy is a
      // full one, made once per QEMU process.
      for (int round = -1; round < pauseSamples * 2; round++) {
        boolean overlays = round >= pauseSamples;
        int i = Math.max(0, round % pauseSamples);
        for (int kind = overlays ? overlaysKind : 0; kind < (overlays ? cuts.length : overlaysKind); kind++) {
          LabDisk.write(connect, spec.name(), "vdb", 1 + i % 200, (long) (i % 32) << 20, 256 * 1024);
          guest.awaitTickCount(guest.ticks().size() + 1, 60_000);
          driver.setDiskCut(cuts[kind]);
          driver.setUseOwnMonitor(kind != 3);
          Capture capture;
          if (kind == 0) {
            capture = driver.checkpoint(spec.name(), (in, c) -> in.transferTo(java.io.OutputStream.nullOutputStream()));
          } else {
            long t0 = System.nanoTime();
            driver.pause(spec.name());
            if (cuts[kind] == KvmDriver.DiskCut.OVERLAYS) {
              prepare.add((System.nanoTime() - t0) / 1e6);
            }
            capture = driver.checkpointPaused(spec.name(), () -> { },
                (in, c) -> in.transferTo(java.io.OutputStream.nullOutputStream()));
          }
          if (cuts[kind] == KvmDriver.DiskCut.OVERLAYS) {
            lastFrozen = capture.frozenDisks().get("vdb");
          }
          if (cuts[kind] == KvmDriver.DiskCut.INTERNAL_SNAPSHOTS) {
            // As a moving line would, outside the pause: the qcow2 file keeps no growing list of snapshots.
            driver.forgetDiskSnapshots(spec.name(), capture.diskSnapshots());
          }
          if (round >= 0) {
            pause.computeIfAbsent(names[kind], k -> new ArrayList<>()).add(capture.guestPause().toNanos() / 1e6);
          }
        }
      }
      driver.setCutDisks(true);
      driver.setDiskCut(KvmDriver.DiskCut.OVERLAYS);
      long t0 = System.nanoTime();
      Map<String, List<Path>> removed = driver.collectDisks(spec.name(), List.of(lastFrozen));
      double collect = (System.nanoTime() - t0) / 1e9;
      // The same again with the chain kept short, as a moving recovery line keeps it: after each checkpoint, the
      // layers behind the newest two are collected (outside the pause).
      String shortChain = names[names.length - 1];
      List<Double> collectEach = new ArrayList<>();
      Path previous = lastFrozen;
      for (int i = 0; i < pauseSamples; i++) {
        LabDisk.write(connect, spec.name(), "vdb", 1 + i % 200, (long) (i % 32) << 20, 256 * 1024);
        guest.awaitTickCount(guest.ticks().size() + 1, 60_000);
        driver.pause(spec.name());
        Capture capture = driver.checkpointPaused(spec.name(), () -> { },
            (in, c) -> in.transferTo(java.io.OutputStream.nullOutputStream()));
        pause.computeIfAbsent(shortChain, k -> new ArrayList<>()).add(capture.guestPause().toNanos() / 1e6);
        Path frozen = capture.frozenDisks().get("vdb");
        long c0 = System.nanoTime();
        driver.collectDisks(spec.name(), List.of(previous, frozen));
        collectEach.add((System.nanoTime() - c0) / 1e6);
        previous = frozen;
      }
      lines.add("== guest pause of a checkpoint cut by the caller (pause() to running again), " + pauseSamples
          + " each, one guest: the first five rows interleaved, the last two after them ==");
      for (Map.Entry<String, List<Double>> e : pause.entrySet()) {
        List<Double> v = e.getValue();
        lines.add(String.format(Locale.ROOT, "  %-32s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms", e.getKey(),
            BenchFigures.percentile(v, 50), BenchFigures.percentile(v, 99), BenchFigures.percentile(v, 100)));
        lines.add("    in order (ms): " + String.join(" ", v.stream().map(d -> String.format(Locale.ROOT, "%.0f", d))
            .toList()));
      }
      lines.add(String.format(Locale.ROOT, "  overlay preparation before the stop (qemu-img create): p50 %.1f ms;"
              + " collecting the %d layers behind the last checkpoint (block commit): %.2f s; collecting after each"
              + " checkpoint of the last row: p50 %.0f ms", BenchFigures.percentile(prepare, 50),
          removed.getOrDefault("vdb", List.of()).size(), collect, BenchFigures.percentile(collectEach, 50)));
    } finally {
      EngineBenchCommand.deleteTree(dir);
      Files.deleteIfExists(LabGuest.guestDir().resolve("run").resolve(spec.name() + ".serial"));
    }
    return lines;
  }

  private void measurePauses(KvmDriver driver, LabGuest guest, Map<CaptureMode, List<Double>> pauses)
      throws IOException {
    for (boolean background : new boolean[] {true, false}) {
      driver.setPreferBackgroundSnapshot(background);
      System.out.printf(Locale.ROOT, "   pause: %d checkpoints with %s%n", pauseSamples,
          background ? "background-snapshot" : "pre-copy");
      for (int i = 0; i < pauseSamples; i++) {
        Capture capture = driver.checkpoint(guest.name(), (in, c) -> in.transferTo(java.io.OutputStream.nullOutputStream()));
        pauses.computeIfAbsent(capture.mode(), m -> new ArrayList<>()).add((double) capture.guestPause().toMillis());
      }
    }
    driver.setPreferBackgroundSnapshot(true);
  }

  /** Each row: seconds to reassemble and verify, seconds for libvirt to restore it, seconds for the raw image. */
  private List<double[]> measureRestores(Connect connect, KvmDriver driver, LabGuest guest, CheckpointEngine engine,
      byte[] rawImage, Path dir, CheckpointKey key) throws Exception {
    Path raw = dir.resolve("raw.save");
    Files.write(raw, rawImage);
    List<double[]> times = new ArrayList<>();
    for (int i = 0; i < restores; i++) {
      System.out.printf(Locale.ROOT, "   restore %d of %d%n", i + 1, restores);
      // Alternate which goes first, so neither always finds the other's guest to replace or a warmer cache.
      double plain = 0;
      if (i % 2 == 1) {
        plain = timedRestore(driver, guest, raw);
      }
      Path image = dir.resolve("restore.img");
      long t0 = System.nanoTime();
      CheckpointEngine.restoreToFile(key, engine.store(), image, null);
      double verify = (System.nanoTime() - t0) / 1e9;
      double libvirt = timedRestore(driver, guest, image);
      Files.delete(image);
      if (i % 2 == 0) {
        plain = timedRestore(driver, guest, raw);  // baseline: a plain restore of the same image, no store between
      }
      times.add(new double[] {verify, libvirt, plain});
    }
    Files.delete(raw);
    return times;
  }

  /** Seconds for libvirt to restore an image; then waits until the restored guest ticks. */
  private static double timedRestore(KvmDriver driver, LabGuest guest, Path image) throws Exception {
    long start = System.nanoTime();
    driver.restore(guest.name(), image);
    double seconds = (System.nanoTime() - start) / 1e9;
    guest.awaitTickCount(guest.ticks().size() + 1, 60_000);
    return seconds;
  }

  /** What a full {@code virsh save} of the guest writes (this stops the guest). */
  private static long fullSave(Connect connect, String name, Path file) throws Exception {
    Domain domain = connect.domainLookupByName(name);
    domain.save(file.toString());
    long size = Files.size(file);
    Files.delete(file);
    return size;
  }

  private static void printSummary(List<Row> rows, Map<CaptureMode, List<Double>> pauses, List<double[]> restores) {
    System.out.println();
    if (rows.isEmpty()) {
      return;  // --cut-only
    }
    System.out.println("== incremental checkpoint size relative to a full save of the same guest ==");
    System.out.println("  rewritten  full save   first ckpt   incremental (content-defined 8 KiB)   (fixed 4 KiB pages)");
    for (Row row : rows) {
      double gear = BenchFigures.median(row.gearStored().stream().map(b -> (double) b).toList());
      double fixed = BenchFigures.median(row.fixedStored().stream().map(b -> (double) b).toList());
      System.out.printf(Locale.ROOT, "  %6.0f %%   %9s   %6.1f %%      %6.2f %% (%s)                 %6.2f %%%n",
          row.percent(), BenchFigures.mib(row.fullSaveBytes()), 100.0 * row.firstStored() / row.fullSaveBytes(),
          100.0 * gear / row.fullSaveBytes(), BenchFigures.mib((long) gear), 100.0 * fixed / row.fullSaveBytes());
    }
    for (Row row : rows) {
      double gear = BenchFigures.median(row.gearStored().stream().map(b -> (double) b).toList());
      System.out.println(BenchFigures.bar(String.format(Locale.ROOT, "%.0f %% rewritten", row.percent()),
          100.0 * gear / row.fullSaveBytes(), 30, String.format(Locale.ROOT, "%.2f %% of a full save",
              100.0 * gear / row.fullSaveBytes())));
    }
    if (!pauses.isEmpty()) {
      System.out.println("== guest pause (QEMU downtime from query-migrate) ==");
      double max = pauses.values().stream().flatMap(List::stream).mapToDouble(d -> d).max().orElse(1);
      for (Map.Entry<CaptureMode, List<Double>> e : pauses.entrySet()) {
        List<Double> v = e.getValue();
        System.out.printf(Locale.ROOT, "  %-20s n=%d  p50 %.0f ms  p99 %.0f ms  max %.0f ms%n", e.getKey(), v.size(),
            BenchFigures.percentile(v, 50), BenchFigures.percentile(v, 99), BenchFigures.percentile(v, 100));
        System.out.println(BenchFigures.bar(e.getKey() + " p99", BenchFigures.percentile(v, 99), max,
            String.format(Locale.ROOT, "%.0f ms", BenchFigures.percentile(v, 99))));
      }
    }
    if (!restores.isEmpty()) {
      double verify = BenchFigures.median(restores.stream().map(r -> r[0]).toList());
      double libvirt = BenchFigures.median(restores.stream().map(r -> r[1]).toList());
      double plain = BenchFigures.median(restores.stream().map(r -> r[2]).toList());
      System.out.println("== restore (median of " + restores.size() + ") ==");
      System.out.printf(Locale.ROOT, "  reassemble + verify every chunk %.2f s, then libvirt restore %.2f s: total %.2f s;"
          + " plain restore of the same raw image %.2f s (ratio %.2f)%n", verify, libvirt, verify + libvirt, plain,
          (verify + libvirt) / plain);
    }
  }
}
