package org.vmqsc.agent.process;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * A real guest restored from a stable checkpoint gets the frames delivered to it (its replays first) once its NIC
 * takes them: at once when it had sent by the checkpoint, only after its first send when the checkpoint caught it
 * still booting (its network was not up: a frame written into its NIC then is lost inside the guest). The machine
 * is a stand-in whose NIC is a UDP socket here; the checkpoint, the stores and the relay's ports are real.
 */
public class RealGuestRestoreTest {

  private static final String VM_UUID = "22222222-2222-4222-8222-222222222222";
  private static final int VM = 1;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final ExecutorService loop = Executors.newSingleThreadExecutor();
  private DatagramSocket guestNic;
  private GuestCheckpoints checkpoints;
  private GuestNics nics;
  private RealGuests real;
  private String location;

  @Before public void aStableCheckpoint() throws Exception {
    Path root = tmp.getRoot().toPath();
    DirectoryStore stable = DirectoryStore.openShared("stable", root.resolve("stable"));
    checkpoints = new GuestCheckpoints(DirectoryStore.open("staging", root.resolve("staging")), stable,
        root.resolve("disks"));
    byte[] memory = new byte[256 * 1024];
    new Random(5).nextBytes(memory);
    CheckpointKey key = GuestCheckpoints.key(VM_UUID, 3, 0);
    new CheckpointEngine(stable, ChunkerChoice.standard()).store(key, new ByteArrayInputStream(memory),
        Map.of("guest", "real"));
    location = GuestCheckpoints.location(key);

    guestNic = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    nics = new GuestNics("g", Map.of(0, RealGuests.mac(0), 1, RealGuests.mac(1)), loop, (from, to, frame) -> {});
    real = new RealGuests("host-a", 2, new StandInGuest.Machine(guestNic) {
      @Override public Capture checkpointPaused(String name, Runnable running, ImageConsumer memory, Path disks) {
        throw new UnsupportedOperationException("restored only");
      }
    }, nics, checkpoints, EventLog.none(), loop::execute,
        root.resolve("scratch"));
  }

  @After public void close() throws Exception {
    onLoop(() -> {
      real.close();
      return null;
    });
    nics.close();
    checkpoints.close();
    guestNic.close();
    loop.shutdownNow();
  }

  @Test public void aGuestRestoredStillBootingGetsItsReplaysOnlyOnceItSends() throws Exception {
    byte[] replay = frame("a message in transit at the line");
    onLoop(() -> {
      real.restore(VM, VM_UUID, location, 0, false);
      real.deliver(VM, replay);
      real.replaysIn(VM);
      return null;
    });
    assertNull("nothing is written into the NIC of a guest whose network is not up", receiveWithin(300));
    assertFalse("QEMU announcing the restored NIC says nothing of the guest", onLoop(() -> real.sent(VM, rarp())));
    assertNull(receiveWithin(300));

    assertTrue("its first frame says its NIC is up", onLoop(() -> real.sent(VM, frame("from the guest"))));
    assertArrayEquals(replay, receiveWithin(5000));
    byte[] next = frame("a later message");
    onLoop(() -> {
      real.deliver(VM, next);
      return null;
    });
    assertArrayEquals(next, receiveWithin(5000));
  }

  @Test public void aGuestRestoredWithItsNetworkUpGetsItsReplaysAsSoonAsItRuns() throws Exception {
    byte[] replay = frame("a message in transit at the line");
    onLoop(() -> {
      real.restore(VM, VM_UUID, location, 0, true);
      real.deliver(VM, replay);
      return null;
    });
    assertNull("held until its replays are in", receiveWithin(300));
    onLoop(() -> {
      real.replaysIn(VM);
      return null;
    });
    assertArrayEquals(replay, receiveWithin(5000));
  }

  private <T> T onLoop(Callable<T> work) throws Exception {
    return loop.submit(work).get(30, TimeUnit.SECONDS);
  }

  private static byte[] frame(String text) {
    return StandInGuest.frameTo(VM, text);
  }

  /** QEMU's announcement of a NIC after a restore: a broadcast RARP request from the NIC's MAC. */
  private static byte[] rarp() {
    ByteBuffer frame = ByteBuffer.allocate(60);
    StandInGuest.putMac(frame, 0xFFFF_FFFF_FFFFL);
    StandInGuest.putMac(frame, RealGuests.mac(VM));
    frame.putShort((short) 0x8035);
    return frame.array();
  }

  private byte[] receiveWithin(int millis) throws IOException {
    byte[] buf = new byte[2048];
    DatagramPacket p = new DatagramPacket(buf, buf.length);
    guestNic.setSoTimeout(millis);
    try {
      guestNic.receive(p);
    } catch (SocketTimeoutException e) {
      return null;
    }
    return Arrays.copyOf(buf, p.getLength());
  }
}
