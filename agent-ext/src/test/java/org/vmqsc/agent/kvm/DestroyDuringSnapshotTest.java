package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.BeforeClass;
import org.junit.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * A guest destroyed while its checkpoints run on another thread, as an agent destroys its guests when it stops: at
 * many points of a checkpoint (the disk snapshot, the background memory snapshot, the discard of its metadata),
 * libvirtd must survive, the domain must be gone and no QEMU process of it left. Destroyed straight away
 * ({@code virDomainDestroy} beside the checkpoint), libvirtd 9.0 exited within the first four rounds of every run.
 */
public class DestroyDuringSnapshotTest {

  private static final int ROUNDS = Integer.getInteger("vmqsc.destroyRounds", 6);

  private final String name = "vmqsc-destroy-" + ProcessHandle.current().pid();
  private Connect connect;
  private Path dir;

  @BeforeClass public static void needsLibvirt() {
    RealGuestRequired.check("DestroyDuringSnapshotTest");
  }

  @After public void cleanUp() throws Exception {
    if (connect != null) {
      LabGuest.destroyIfRunning(connect, name);  // a failed round's guest
      Files.deleteIfExists(LabGuest.guestDir().resolve("run").resolve(name + ".serial"));
      try {
        connect.close();
      } catch (LibvirtException ignored) {
        // the daemon is gone: the test says so
      }
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test public void aGuestDestroyedWhileItsCheckpointsRunLeavesLibvirtdAliveAndNothingRunning() throws Exception {
    connect = LabGuest.connect();
    dir = LabDisk.directory("destroy-it");
    List<String> outcomes = new ArrayList<>();
    int total = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Path roundDir = Files.createDirectory(dir.resolve("r" + round));
      roundDir.toFile().setExecutable(true, false);
      roundDir.toFile().setReadable(true, false);
      LabDisk.start(connect, new LabGuest.Spec(name, 128, 16, 256, 0.2), roundDir, 16);
      // Its own connection, as the agent gives each guest's driver.
      KvmDriver driver = new KvmDriver(LabGuest.connect(), roundDir.resolve("scratch"));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger taken = new AtomicInteger();
      Thread checkpoints = new Thread(() -> {
        while (!stop.get()) {
          try {
            driver.pause(name);
            driver.checkpointPaused(name, () -> { }, (in, c) -> in.transferTo(java.io.OutputStream.nullOutputStream()));
            taken.incrementAndGet();
          } catch (IOException | RuntimeException e) {
            if (!stop.get()) continue;  // a refused checkpoint before the destroy: try again
            return;
          }
        }
      }, "checkpoints");
      checkpoints.start();
      // Destroyed at a different point of a checkpoint each round (one takes about half a second under emulation).
      Thread.sleep(1_500 + round * 137 % 1_000);
      stop.set(true);
      destroy(driver, name);
      checkpoints.join(120_000);
      assertFalse("the checkpoint thread ended", checkpoints.isAlive());
      driver.close();
      outcomes.add(taken.get() + " checkpoints");
      total += taken.get();
      assertTrue("libvirtd is alive after round " + round + " (" + outcomes + "); tail of its log:\n"
          + logTail(), libvirtdAlive());
      assertFalse("domain " + name + " is gone", active(name));
      assertEquals("QEMU processes of " + name, List.of(), qemuOf(name));
    }
    assertTrue("checkpoints were taken before the destroys: " + outcomes, total > 0);
    System.out.println("DestroyDuringSnapshotTest: " + ROUNDS + " rounds, " + outcomes);
  }

  /** As the agent destroys a guest ({@link LabMachines#destroy}): through the driver its checkpoints use. */
  private static void destroy(KvmDriver driver, String name) throws IOException {
    driver.destroy(name);
  }

  private static boolean libvirtdAlive() {
    try {
      Connect probe = LabGuest.connect();
      probe.getHostName();
      probe.close();
      return true;
    } catch (LibvirtException e) {
      return false;
    }
  }

  private boolean active(String name) {
    try {
      return connect.domainLookupByName(name).isActive() == 1;
    } catch (LibvirtException gone) {
      return false;
    }
  }

  private static List<String> qemuOf(String name) {
    return ProcessHandle.allProcesses()
        .map(p -> p.info().commandLine().orElse(""))
        .filter(c -> c.contains("qemu-system") && c.contains("guest=" + name + ","))
        .toList();
  }

  private static String logTail() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/var/log/libvirt/libvirtd.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
