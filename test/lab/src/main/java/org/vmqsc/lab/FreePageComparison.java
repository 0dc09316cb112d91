package org.vmqsc.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.libvirt.Connect;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.kvm.KvmDriver;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * VMckpt's free-page exclusion, measured: a lab guest fills half its memory with random data and frees it again,
 * then takes its first checkpoint; once with its virtio balloon's free page reporting off and once on (QEMU then
 * discards the pages the guest reported, so they read as zeros, which the engine never stores). The runs alternate,
 * each on a fresh guest and a fresh store.
 */
final class FreePageComparison {

  /** One first checkpoint: the image's bytes, the zero bytes left out, the bytes stored. */
  private record Sample(boolean reporting, long imageBytes, long zeroBytes, long storedBytes) {}

  /** The page reporting worker runs 2 s after pages are freed; this leaves it time to report all of them. */
  private static final long REPORTING_DELAY_MS = 8_000;

  private final KvmBench bench;

  FreePageComparison(KvmBench bench) {
    this.bench = bench;
  }

  List<String> run() throws Exception {
    int freedMiB = bench.memoryMiB() / 2;
    System.out.printf(Locale.ROOT, "-- free page reporting: %d MiB guest that wrote %d MiB of random data and freed"
        + " them; its first checkpoint, reporting off and on alternately, %d rounds%n", bench.memoryMiB(), freedMiB,
        bench.rounds());
    List<Sample> samples = new ArrayList<>();
    for (int r = 1; r <= bench.rounds(); r++) {
      for (boolean reporting : new boolean[] {false, true}) {
        samples.add(firstCheckpoint(r, new LabGuest.FreedMemory(freedMiB, reporting)));
        Sample s = samples.get(samples.size() - 1);
        System.out.printf(Locale.ROOT, "   round %d, reporting %-3s: image %s, zeros left out %s, stored %s%n", r,
            reporting ? "on" : "off", BenchFigures.mib(s.imageBytes()), BenchFigures.mib(s.zeroBytes()),
            BenchFigures.mib(s.storedBytes()));
      }
    }
    double off = medianStored(samples, false);
    double on = medianStored(samples, true);
    List<String> out = new ArrayList<>();
    out.add("");
    out.add(String.format(Locale.ROOT, "== free page exclusion (%d MiB guest, %d MiB written and freed, first"
        + " checkpoint, medians of %d) ==", bench.memoryMiB(), freedMiB, bench.rounds()));
    out.add(String.format(Locale.ROOT, "  stored with reporting off %s, on %s: %.2fx (%+.0f %%)",
        BenchFigures.mib((long) off), BenchFigures.mib((long) on), on / off, 100 * (on / off - 1)));
    return out;
  }

  private Sample firstCheckpoint(int round, LabGuest.FreedMemory freed) throws Exception {
    LabGuest.Spec spec = new LabGuest.Spec("vmqsc-bench-free", bench.memoryMiB(), 8, 256, 0.5).withFreedMemory(freed);
    try (LabGuest guest = LabGuest.start(bench.connect(), spec)) {
      guest.awaitTickCount(1, 300_000); // the guest prints ticks only once it has freed its memory
      Thread.sleep(REPORTING_DELAY_MS);
      Path store = bench.dir().resolve("free-" + round + (freed.reporting() ? "-on" : "-off"));
      CheckpointEngine engine = new CheckpointEngine(DirectoryStore.open("free", store), ChunkerChoice.standard());
      CheckpointStats[] stats = new CheckpointStats[1];
      bench.driver().checkpoint(spec.name(), (in, c) ->
          stats[0] = engine.store(new CheckpointKey(spec.name(), "first"), in, Map.of()));
      EngineBenchCommand.deleteTree(store);
      return new Sample(freed.reporting(), stats[0].imageBytes(), stats[0].zeroBytes(), stats[0].storedBytes());
    }
  }

  private static double medianStored(List<Sample> samples, boolean reporting) {
    return BenchFigures.median(samples.stream().filter(s -> s.reporting() == reporting)
        .map(s -> (double) s.storedBytes()).toList());
  }
}
