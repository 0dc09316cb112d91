package org.vmqsc.lab;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.kvm.KvmDriver;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * vmqsc's checkpoint next to what a CloudStack user has today, interleaved on one guest: CloudStack 4.22's KVM VM
 * snapshot with memory (an internal qcow2 snapshot, {@code <memory snapshot='internal'/>}: QEMU's savevm, the guest
 * stopped while its memory is written into the disk) and a full {@code virsh save} (the guest stopped and gone until
 * restored). Per round: each one's wall time, the guest's pause, the bytes it adds, and the time to go back to it.
 */
final class SnapshotComparison {

  /** One round's figures for one way of checkpointing: seconds, seconds, bytes, seconds. */
  private record Sample(double wall, double pause, long bytes, double back) {}

  private final KvmBench bench;
  /**
   * Of each vmqsc checkpoint: seconds from the cut until the engine got the image's stream (the guest runs again by
   * then; QEMU's snapshot goes on, into the engine), the engine's seconds and the CPU seconds of the thread that ran
   * it (without a cutter thread's), and whether the engine cut the image on a thread of its own.
   */
  private record Split(double untilEngine, double engine, double engineCpu, boolean cutAhead) {}

  private final List<Split> vmqscSplit = new ArrayList<>();
  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

  SnapshotComparison(KvmBench bench) {
    this.bench = bench;
  }

  List<String> run() throws Exception {
    // 5 % of memory rewritten per tick, other random data as the other kvm runs; a qcow2 data disk, which a
    // CloudStack VM snapshot with memory needs.
    int memoryMiB = bench.memoryMiB();
    int hotKiB = memoryMiB * 1024 / 20;
    LabGuest.Spec spec = new LabGuest.Spec("vmqsc-bench-cmp", memoryMiB, Math.max(8, memoryMiB * 7 / 16 - hotKiB / 1024 - 8),
        hotKiB, 0.1).withDataDisk(LabGuest.DataDisk.fresh());
    System.out.printf(Locale.ROOT, "-- vmqsc next to CloudStack's VM snapshot with memory and a full save: %d MiB guest,"
        + " 5 %% rewritten per tick, %d rounds interleaved after %d warm-up checkpoints of vmqsc's; %s%n",
        bench.memoryMiB(), bench.rounds(), bench.warmUp(), bench.ownMonitor() ? "a monitor of the agent's own"
            : "no monitor of the agent's own (as CloudStack's domains): QEMU's stream through a pipe, commands through"
            + " libvirt");
    List<Sample> vmqsc = new ArrayList<>(), internal = new ArrayList<>(), save = new ArrayList<>();
    // vmqsc's memory checkpoint alone: the disk's internal snapshot (CloudStack) and its overlay (vmqsc) hold the
    // disk's changed clusters either way, a few KiB here; the sizes compared are the memory's.
    bench.driver().setCutDisks(false);
    try (LabGuest guest = LabGuest.start(bench.connect(), spec,
        bench.ownMonitor() ? xml -> xml : xml -> LabGuest.withOwnMonitor(xml, null))) {
      guest.awaitTickCount(2, 300_000);
      CheckpointEngine engine = new CheckpointEngine(DirectoryStore.open("cmp", bench.dir().resolve("cmp-store")),
          ChunkerChoice.standard());
      Path disk = guest.dataDisk().orElseThrow();
      // An agent checkpoints its guests every period for as long as they are protected: its engine runs compiled,
      // and all but the first checkpoint are incrementals. The warm-up puts this process there.
      for (int w = 1; w <= bench.warmUp(); w++) {
        guest.awaitTickCount(guest.ticks().size() + 2, 120_000);
        Sample warm = vmqscCheckpoint(spec.name(), engine, "w" + w);
        Split split = vmqscSplit.remove(vmqscSplit.size() - 1);
        System.out.printf(Locale.ROOT, "   warm-up %d (not counted): vmqsc %.2f s (engine from %.2f s on, for %.2f%s; %s%s)%n", w,
            warm.wall(), split.untilEngine(), split.engine(), split.cutAhead() ? ", cut ahead" : "",
            BenchFigures.mib(warm.bytes()), w == 1 ? ", the first checkpoint: a full pass" : "");
      }
      for (int r = 1; r <= bench.rounds(); r++) {
        guest.awaitTickCount(guest.ticks().size() + 2, 120_000);
        vmqsc.add(vmqscCheckpoint(spec.name(), engine, "r" + r));
        guest.awaitTickCount(guest.ticks().size() + 2, 120_000);
        internal.add(internalSnapshot(spec.name(), disk, r));
        guest.awaitTickCount(guest.ticks().size() + 2, 120_000);
        save.add(fullSave(spec.name(), r));
        Split split = vmqscSplit.get(vmqscSplit.size() - 1);
        System.out.printf(Locale.ROOT, "   round %d: vmqsc %.2f s (engine from %.2f s on, for %.2f, CPU %.2f%s; pause"
                + " %.0f ms, %s); VM snapshot %.2f s (%s); full save %.2f s (%s)%n", r, last(vmqsc).wall(),
            split.untilEngine(), split.engine(), split.engineCpu(), split.cutAhead() ? ", cut ahead" : "",
            last(vmqsc).pause() * 1000,
            BenchFigures.mib(last(vmqsc).bytes()), last(internal).wall(), BenchFigures.mib(last(internal).bytes()),
            last(save).wall(), BenchFigures.mib(last(save).bytes()));
      }
      // vmqsc's way back: the last checkpoint rebuilt and verified, then loaded (the others' reverts were timed
      // in their rounds).
      vmqsc.set(vmqsc.size() - 1, withBack(last(vmqsc), vmqscRestore(spec.name(), engine, bench.rounds())));
    } finally {
      bench.driver().setCutDisks(true);
    }
    // vmqsc's incrementals: every counted round after a warm-up, else every round but the first (the full pass).
    int firstIncremental = bench.warmUp() > 0 ? 0 : 1;
    List<Sample> incrementals = vmqsc.subList(firstIncremental, vmqsc.size());
    List<Split> incrementalSplits = vmqscSplit.subList(firstIncremental, vmqscSplit.size());
    List<String> out = new ArrayList<>();
    out.add("");
    out.add(String.format(Locale.ROOT, "== vmqsc vs CloudStack 4.22's KVM VM snapshot with memory vs a full save (%d MiB"
        + " guest%s, medians of %d rounds; vmqsc's incrementals only, after %d warm-up checkpoints) ==",
        bench.memoryMiB(), bench.ownMonitor() ? "" : " without a monitor of the agent's own", bench.rounds(),
        bench.warmUp()));
    out.add("  way                         wall s   guest pause ms   bytes added      back to it s");
    out.add(line("vmqsc (incremental)", incrementals));
    out.add(line("VM snapshot (internal)", internal));
    out.add(line("full virsh save", save));
    double vw = median(incrementals, Sample::wall), sw = median(save, Sample::wall);
    double vb = median(incrementals, s -> s.bytes()), sb = median(save, s -> s.bytes());
    out.add(String.format(Locale.ROOT, "  vmqsc against a full save: time %+.0f %%, size %+.0f %% (VMckpt reports -71 %% /"
        + " -87 %%)", 100 * (vw / sw - 1), 100 * (vb / sb - 1)));
    // The engine gets QEMU's stream as the guest runs again, and stores it while QEMU still writes it.
    out.add(String.format(Locale.ROOT, "  vmqsc's incrementals: the engine got QEMU's stream %.2f s after the cut and"
            + " stored it in %.2f s, alongside QEMU's snapshot; its thread's CPU %.2f s (medians; the engine cut the"
            + " image on a thread of its own in %d of %d)",
        BenchFigures.median(incrementalSplits.stream().map(Split::untilEngine).toList()),
        BenchFigures.median(incrementalSplits.stream().map(Split::engine).toList()),
        BenchFigures.median(incrementalSplits.stream().map(Split::engineCpu).toList()),
        incrementalSplits.stream().filter(Split::cutAhead).count(), incrementalSplits.size()));
    return out;
  }

  /**
   * One vmqsc checkpoint as the agent takes one at a recovery-line boundary: the guest cut ({@code pause}, then
   * {@code checkpointPaused}: QEMU's background snapshot streams into the agent), its image stored by the engine.
   */
  private Sample vmqscCheckpoint(String name, CheckpointEngine engine, String checkpointId) throws IOException {
    CheckpointStats[] stats = new CheckpointStats[1];
    long t0 = System.nanoTime();
    long[] handedOn = new long[1];
    long[] engineCpu = new long[1];
    bench.driver().pause(name);
    Capture capture = bench.driver().checkpointPaused(name, () -> { }, (in, c) -> {
      handedOn[0] = System.nanoTime();
      long cpu0 = THREADS.getCurrentThreadCpuTime();
      stats[0] = engine.store(new CheckpointKey(name, checkpointId), in, Map.of());
      engineCpu[0] = THREADS.getCurrentThreadCpuTime() - cpu0;
    });
    long end = System.nanoTime();
    double wall = (end - t0) / 1e9; // the cut to the manifest written
    vmqscSplit.add(new Split((handedOn[0] - t0) / 1e9, (end - handedOn[0]) / 1e9, engineCpu[0] / 1e9,
        stats[0].cutAhead()));
    return new Sample(wall, capture.guestPause().toNanos() / 1e9, stats[0].storedBytes(), Double.NaN);
  }

  private double vmqscRestore(String name, CheckpointEngine engine, int round) throws Exception {
    Path image = bench.dir().resolve("cmp-restore.img");
    long t0 = System.nanoTime();
    CheckpointEngine.restoreToFile(new CheckpointKey(name, "r" + round), engine.store(), image, null);
    bench.driver().restore(name, image);
    double back = (System.nanoTime() - t0) / 1e9;
    Files.deleteIfExists(image);
    return back;
  }

  /**
   * CloudStack's KVM VM snapshot with memory: libvirt's internal snapshot (savevm; the guest is stopped throughout),
   * then a revert to it, then the snapshot deleted, as a user who went back would.
   */
  private Sample internalSnapshot(String name, Path disk, int round) throws Exception {
    Domain domain = bench.connect().domainLookupByName(name);
    long before = vmStateBytes(disk); // the memory state lives inside the qcow2; the file's growth is the same bytes
    long t0 = System.nanoTime();
    DomainSnapshot snap = domain.snapshotCreateXML("<domainsnapshot><name>cmp-" + round
        + "</name><memory snapshot='internal'/></domainsnapshot>", 0);
    double wall = (System.nanoTime() - t0) / 1e9;
    long added = vmStateBytes(disk) - before;
    long t1 = System.nanoTime();
    domain.revertToSnapshot(snap);
    double back = (System.nanoTime() - t1) / 1e9;
    snap.delete(0);
    snap.free();
    return new Sample(wall, wall, added, back); // savevm stops the guest for the whole snapshot
  }

  /** The sizes of the memory states the qcow2 image holds in its snapshot table. */
  private static long vmStateBytes(Path disk) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("qemu-img", "info", "-U", "--output=json", disk.toString()).redirectErrorStream(true)
        .start();
    String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IOException("qemu-img info " + disk + ": " + json.strip());
    JsonElement snaps = JsonParser.parseString(json).getAsJsonObject().get("snapshots");
    long sum = 0;
    if (snaps instanceof JsonArray a) {
      for (JsonElement s : a) sum += s.getAsJsonObject().get("vm-state-size").getAsLong();
    }
    return sum;
  }

  /** A full save: the guest stops and is gone until the restore, whose time is the way back. */
  private Sample fullSave(String name, int round) throws Exception {
    Path file = bench.dir().resolve("cmp-full-" + round + ".save");
    Domain domain = bench.connect().domainLookupByName(name);
    long t0 = System.nanoTime();
    domain.save(file.toString());
    double wall = (System.nanoTime() - t0) / 1e9;
    long bytes = Files.size(file);
    long t1 = System.nanoTime();
    bench.connect().restore(file.toString());
    double back = (System.nanoTime() - t1) / 1e9;
    Files.deleteIfExists(file);
    return new Sample(wall, wall + back, bytes, back);
  }

  private static Sample last(List<Sample> s) {
    return s.get(s.size() - 1);
  }

  private static Sample withBack(Sample s, double back) {
    return new Sample(s.wall(), s.pause(), s.bytes(), back);
  }

  private interface Metric {
    double of(Sample s);
  }

  private static double median(List<Sample> samples, Metric m) {
    List<Double> v = new ArrayList<>();
    for (Sample s : samples) if (!Double.isNaN(m.of(s))) v.add(m.of(s));
    return BenchFigures.median(v);
  }

  private static String line(String name, List<Sample> samples) {
    double bytes = median(samples, s -> s.bytes());
    return String.format(Locale.ROOT, "  %-26s %7.2f   %12.0f   %14s   %12.2f", name, median(samples, Sample::wall),
        median(samples, Sample::pause) * 1000, BenchFigures.mib((long) bytes), median(samples, Sample::back));
  }
}
