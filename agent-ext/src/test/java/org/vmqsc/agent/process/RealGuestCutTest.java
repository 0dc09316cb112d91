package org.vmqsc.agent.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * A frame delivered to a real guest while its snapshot is still starting waits, counted as received in the interval
 * that snapshot opened; it must be in the guest before the next cut closes that interval. The race this pins down:
 * the snapshot thread says the guest runs again, and the loop, before its own note of that comes round, cuts the
 * guest for the next checkpoint. The frame then reached the guest only after that checkpoint's instant, which
 * counted it: lost after a rollback to it (seen in the end-to-end tier, a guest restored without its receipts).
 *
 * <p>The machine is a stand-in whose NIC is a UDP socket here, read on as a guest would; its snapshots start when
 * the test says. The relay's ports and the checkpoint stores are real.
 */
public class RealGuestCutTest {

  private static final String VM_UUID = "33333333-3333-4333-8333-333333333333";
  private static final int VM = 1;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ExecutorService loop = Executors.newSingleThreadExecutor();
  private DatagramSocket guestNic;
  private StandInMachine machine;
  private Thread guestReader;
  /** What the guest took from its NIC, in order. */
  private final List<byte[]> taken = new ArrayList<>();
  private GuestCheckpoints checkpoints;
  private GuestNics nics;
  private RealGuests real;

  @Before public void aRunningGuest() throws Exception {
    Path root = tmp.getRoot().toPath();
    DirectoryStore stable = DirectoryStore.openShared("stable", root.resolve("stable"));
    checkpoints = new GuestCheckpoints(DirectoryStore.open("staging", root.resolve("staging")), stable,
        root.resolve("disks"));
    CheckpointKey restored = GuestCheckpoints.key(VM_UUID, 2, 0);
    new CheckpointEngine(stable, ChunkerChoice.standard()).store(restored, new ByteArrayInputStream(memory(2)),
        Map.of("guest", "real"));

    guestNic = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    machine = new StandInMachine(guestNic);
    guestReader = new Thread(this::guestTakesFrames, "stand-in guest");
    guestReader.setDaemon(true);
    guestReader.start();
    nics = new GuestNics("g", Map.of(0, RealGuests.mac(0), 1, RealGuests.mac(1)), loop, (from, to, frame) -> {});
    real = new RealGuests("host-a", 2, machine, nics, checkpoints, EventLog.none(), loop::execute,
        root.resolve("scratch"));
    onLoop(() -> {
      real.restore(VM, VM_UUID, GuestCheckpoints.location(restored), 0, true);
      real.replaysIn(VM); // it runs
      return null;
    });
  }

  @After public void close() throws Exception {
    machine.snapshotStarts.release(Integer.MAX_VALUE / 2);
    onLoop(() -> {
      real.close();
      return null;
    });
    nics.close();
    checkpoints.close();
    guestNic.close();
    guestReader.join(5_000);
    loop.shutdownNow();
  }

  @Test public void aFrameThatWaitedForASnapshotToStartIsInTheGuestBeforeTheNextCut() throws Exception {
    // Cut 3: the guest is paused, its snapshot queued behind one that has not let it run yet.
    onLoop(() -> {
      real.cutAround(List.of(VM), () -> real.checkpoint(record(3), key(3), new Outcome()));
      return null;
    });
    byte[] waited = StandInGuest.frameTo(VM, "delivered while the snapshot of checkpoint 3 was starting");
    onLoop(() -> {
      real.deliver(VM, waited); // counted in interval 3
      return null;
    });

    // The snapshot starts and says the guest runs; the loop cuts it for checkpoint 4 before it has seen that note.
    onLoop(() -> {
      machine.snapshotStarts.release(); // checkpoint 3's only: checkpoint 4's would restart the guest while cut
      assertTrue("the snapshot said the guest runs", machine.saidRunning.await(30, TimeUnit.SECONDS));
      real.cutAround(List.of(VM), () -> real.checkpoint(record(4), key(4), new Outcome()));
      return null;
    });

    assertEquals("pauses: cut 3, cut 4", 2, machine.takenAtPause.size());
    assertTrue("the frame counted in interval 3 was in the guest when cut 4 paused it",
        machine.takenAtPause.get(1).stream().anyMatch(f -> Arrays.equals(f, waited)));
  }

  /**
   * A guest restored from a checkpoint it took before it had sent anything comes back with its NIC down: what is
   * delivered to it waits until it sends. A checkpoint meanwhile would lack those receipts, counted before it: it
   * is refused. Once the guest has sent (and taken what waited), its next checkpoint is taken.
   */
  @Test public void aCheckpointOfAGuestWithFramesStillWaitingForItIsRefused() throws Exception {
    String location = GuestCheckpoints.location(GuestCheckpoints.key(VM_UUID, 2, 0));
    byte[] replay = StandInGuest.frameTo(VM, "in transit at the line, for a guest restored still booting");
    onLoop(() -> {
      real.restore(VM, VM_UUID, location, 0, false);
      real.deliver(VM, replay);
      real.replaysIn(VM);
      return null;
    });
    machine.snapshotStarts.release(); // the one snapshot taken: checkpoint 4's (checkpoint 3 is refused)
    Outcome refused = new Outcome();
    onLoop(() -> {
      real.cutAround(List.of(VM), () -> real.checkpoint(record(3), key(3), refused));
      return null;
    });
    assertTrue("refused: " + refused.failure, refused.failure != null
        && refused.failure.getMessage().contains("1 frames counted before it still wait for its guest"));

    onLoop(() -> real.sent(VM, StandInGuest.frameFrom(VM, "the guest's first frame: its NIC is up")));
    Outcome next = new Outcome();
    onLoop(() -> {
      real.cutAround(List.of(VM), () -> real.checkpoint(record(4), key(4), next));
      return null;
    });
    assertTrue("the next checkpoint is taken", next.staged.await(30, TimeUnit.SECONDS));
    assertEquals(null, next.failure);
    synchronized (taken) {
      assertTrue("what waited reached the guest", taken.stream().anyMatch(f -> Arrays.equals(f, replay)));
    }
  }

  /** What became of one checkpoint. */
  private static final class Outcome implements GuestCheckpoints.Progress {
    final CountDownLatch staged = new CountDownLatch(1);
    volatile Exception failure;

    @Override public void staged(long storedBytes) {
      staged.countDown();
    }

    @Override public void stable(String location) {}

    @Override public void failed(Exception e) {
      failure = e;
    }
  }

  // ---- the stand-ins -------------------------------------------------------------------------------------------

  /** A machine that is its NIC: paused on request, each of its snapshots starts once the test lets one more. */
  private final class StandInMachine extends StandInGuest.Machine {
    final Semaphore snapshotStarts = new Semaphore(0);
    final CountDownLatch saidRunning = new CountDownLatch(1);
    /** At each pause: what the guest had taken from its NIC by then. */
    final List<List<byte[]>> takenAtPause = new ArrayList<>();

    StandInMachine(DatagramSocket nic) {
      super(nic);
    }

    @Override public void pause(String name) {
      synchronized (taken) {
        takenAtPause.add(List.copyOf(taken));
      }
    }

    @Override public Capture checkpointPaused(String name, Runnable running, ImageConsumer memory, Path disks)
        throws IOException {
      try {
        if (!snapshotStarts.tryAcquire(30, TimeUnit.SECONDS)) throw new IOException("the test never let it start");
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      running.run();
      saidRunning.countDown();
      Capture capture = new Capture(CaptureMode.BACKGROUND_SNAPSHOT, Duration.ZERO, null, Map.of());
      memory.accept(new ByteArrayInputStream(memory(7)), capture);
      return capture;
    }
  }

  /** The guest reads its NIC as fast as frames come, as a running guest with room in its receive ring does. */
  private void guestTakesFrames() {
    byte[] buf = new byte[2048];
    while (!guestNic.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        guestNic.receive(p);
      } catch (SocketException closed) {
        return;
      } catch (IOException e) {
        continue;
      }
      synchronized (taken) {
        taken.add(Arrays.copyOf(buf, p.getLength()));
      }
    }
  }

  private static BoundaryRecord record(long index) {
    return new BoundaryRecord(VM, index, 0, BoundaryKind.CHECKPOINT, false, 0, 0, new long[2], new long[2]);
  }

  private static CheckpointKey key(long index) {
    return GuestCheckpoints.key(VM_UUID, index, 0);
  }

  private static byte[] memory(long seed) {
    byte[] memory = new byte[64 * 1024];
    new Random(seed).nextBytes(memory);
    return memory;
  }

  private <T> T onLoop(Callable<T> work) throws Exception {
    return loop.submit(work).get(60, TimeUnit.SECONDS);
  }
}
