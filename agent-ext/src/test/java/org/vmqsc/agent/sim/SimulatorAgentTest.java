package org.vmqsc.agent.sim;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.engine.RestoreRefusedException;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.CheckpointState;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/** The whole host path (driver, engine, stores, flusher) on simulated guests. */
public class SimulatorAgentTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private SimulatorDriver driver;
  private DirectoryStore staging;
  private DirectoryStore stable;
  private LazyFlusher flusher;
  private CheckpointAgent agent;

  @Before public void setUp() throws IOException {
    driver = new SimulatorDriver();
    staging = DirectoryStore.open("staging", tmp.newFolder("host").toPath());
    stable = DirectoryStore.openShared("stable", tmp.newFolder("secondary").toPath());
    flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50).start();
    agent = new CheckpointAgent(driver, new CheckpointEngine(staging, new FixedChunker(1)), stable, flusher,
        tmp.newFolder("scratch").toPath());
  }

  @After public void tearDown() throws InterruptedException {
    flusher.close();
    driver.close();
  }

  @Test public void checkpointsOfARunningGuestAreIncrementalAndRestoreExactly() throws Exception {
    SimulatedGuest guest = driver.start("vm-1", 2048, 0.75, 1);
    CheckpointKey first = new CheckpointKey("vm-1", "ck-1");
    CheckpointAgent.Report full = agent.checkpoint(first);
    assertEquals(CaptureMode.SIMULATED_COPY, full.capture().mode());
    assertTrue(full.stats().zeroBytes() >= 512L * 4096);  // the unused quarter was excluded
    byte[] atFirst = imageOf(first);

    guest.rewrite(100, 100);  // about 5 % of memory
    CheckpointKey second = new CheckpointKey("vm-1", "ck-2");
    CheckpointAgent.Report incremental = agent.checkpoint(second);
    assertEquals(100, incremental.stats().newChunks());
    assertTrue(incremental.stats().storedBytes() < full.stats().storedBytes() / 10);

    guest.setWriteRate(5000);  // the guest keeps running while we restore the first checkpoint
    long writtenBeforeRestore = guest.pagesWritten();
    agent.restore(first);
    byte[] now = guest.memoryForTest();
    long writtenSince = guest.pagesWritten() - writtenBeforeRestore;  // counts every write that `now` shows
    guest.setWriteRate(0);
    // The restore put back the first checkpoint; only pages the writer touched since may differ.
    int differentPages = 0;
    for (int page = 0; page < guest.pages(); page++) {
      int from = page * 4096;
      if (!Arrays.equals(now, from, from + 4096, atFirst, from, from + 4096)) {
        differentPages++;
      }
    }
    assertTrue("pages differing from the checkpoint after restore: " + differentPages + ", pages written since: "
        + writtenSince, differentPages <= writtenSince);
  }

  @Test public void theGuestIsRestoredExactlyWhenIdle() throws Exception {
    SimulatedGuest guest = driver.start("vm-2", 512, 0.5, 2);
    CheckpointKey key = new CheckpointKey("vm-2", "ck-1");
    byte[] before = guest.memoryForTest();
    agent.checkpoint(key);
    guest.rewrite(0, 512);
    agent.restore(key);
    assertArrayEquals(before, guest.memoryForTest());
  }

  @Test public void checkpointsBecomeStableAndRestoreFromStableWhenTheHostCopyIsGone() throws Exception {
    SimulatedGuest guest = driver.start("vm-3", 256, 0.5, 3);
    CheckpointKey key = new CheckpointKey("vm-3", "ck-1");
    byte[] before = guest.memoryForTest();
    agent.checkpoint(key);
    assertTrue(flusher.awaitStable(key, 10_000));
    assertEquals(CheckpointState.STABLE, flusher.state(key).orElseThrow());
    staging.deleteManifest(key);  // the host's copy is lost
    guest.rewrite(0, 256);
    agent.restore(key);
    assertArrayEquals(before, guest.memoryForTest());
  }

  @Test public void aCorruptChunkStopsTheRestoreBeforeTheGuestIsTouched() throws Exception {
    flusher.close();  // keep the checkpoint on the host only
    SimulatedGuest guest = driver.start("vm-4", 256, 0.5, 4);
    CheckpointKey key = new CheckpointKey("vm-4", "ck-1");
    agent.checkpoint(key);
    String hash = staging.manifest(key).orElseThrow().chunks().get(7).hash();
    org.vmqsc.agent.store.Damage.flipBit(staging, hash, 0);
    guest.rewrite(0, 256);
    byte[] running = guest.memoryForTest();
    try {
      agent.restore(key);
      fail("restored a corrupt checkpoint");
    } catch (RestoreRefusedException e) {
      assertEquals(hash, e.chunkHash());
    }
    assertArrayEquals("the guest was touched", running, guest.memoryForTest());
  }

  @Test public void aCorruptHostCopyFallsBackToTheVerifiedStableCopy() throws Exception {
    SimulatedGuest guest = driver.start("vm-6", 256, 0.5, 6);
    CheckpointKey key = new CheckpointKey("vm-6", "ck-1");
    byte[] before = guest.memoryForTest();
    agent.checkpoint(key);
    assertTrue(flusher.awaitStable(key, 10_000));
    String hash = staging.manifest(key).orElseThrow().chunks().get(3).hash();
    org.vmqsc.agent.store.Damage.flipBit(staging, hash, 0);
    guest.rewrite(0, 256);
    agent.restore(key);
    assertArrayEquals(before, guest.memoryForTest());
  }

  @Test public void aDamagedHostManifestFallsBackToTheStableCopy() throws Exception {
    String[] damages = {"truncated", "emptied", "garbage"};
    for (int i = 0; i < damages.length; i++) {
      SimulatedGuest guest = driver.start("vm-7" + i, 256, 0.5, 70 + i);
      CheckpointKey key = new CheckpointKey("vm-7" + i, "ck-1");
      byte[] before = guest.memoryForTest();
      agent.checkpoint(key);
      assertTrue(flusher.awaitStable(key, 10_000));
      java.nio.file.Path manifest = staging.root().resolve("manifests").resolve(key.vmId()).resolve("ck-1");
      byte[] bytes = java.nio.file.Files.readAllBytes(manifest);
      byte[] damaged = switch (damages[i]) {
        case "truncated" -> Arrays.copyOf(bytes, bytes.length / 2);
        case "emptied" -> new byte[0];
        default -> "\u0000garbage{{{".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      };
      java.nio.file.Files.write(manifest, damaged);
      guest.rewrite(0, 256);
      agent.restore(key);
      assertArrayEquals(damages[i] + " staging manifest", before, guest.memoryForTest());
    }
  }

  @Test public void theDirtyRateFollowsTheWorkload() throws Exception {
    SimulatedGuest idle = driver.start("vm-5", 1024, 0.5, 5);  // its writer never writes: no timing involved
    assertEquals(0.0, driver.dirtyRateMiBPerSecond("vm-5", Duration.ofMillis(100)), 0.0);

    SimulatedGuest busy = driver.start("vm-8", 1024, 0.5, 8);
    Thread writer = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        busy.rewrite(0, 1);  // keeps writing for as long as the sample lasts, however slow the machine
      }
    });
    writer.start();
    try {
      assertTrue(driver.dirtyRateMiBPerSecond("vm-8", Duration.ofMillis(100)) > 0);
    } finally {
      writer.interrupt();
      writer.join();
    }
    assertEquals(0, idle.pagesWritten());
  }

  private byte[] imageOf(CheckpointKey key) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, staging, out, null);
    return out.toByteArray();
  }
}
