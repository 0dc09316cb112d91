package org.vmqsc.agent.xen;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Session;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * The Xen driver against a pool master on loopback ({@link FakeXapi}: real XML-RPC through the XAPI binding, real
 * HTTP for the VDI handlers), through the checkpoint engine and store as the host runtime uses them. Whatever
 * fails, the pool is left with no snapshot and no VDI the driver made, and the error says what failed.
 */
public class XenDriverTest {

  private static final String VM = "i-2-34-VM";
  private static final int MEMORY_BYTES = 1 << 20;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private FakeXapi pool;
  private XenDriver driver;
  private DirectoryStore staging;
  private CheckpointAgent agent;
  private byte[] memory;
  /** The pool's VDIs before the driver ran: the VM's disk and the ISO in its CD drive. */
  private int vdisBefore;

  @Before public void setUp() throws IOException {
    pool = new FakeXapi();
    memory = guestMemory(1);
    pool.addRunningVm(VM, memory);
    vdisBefore = pool.vdis.size();
    driver = newDriver(Duration.ofSeconds(5));
    staging = DirectoryStore.open("staging", tmp.newFolder("staging").toPath());
    agent = new CheckpointAgent(driver, new CheckpointEngine(staging, new FixedChunker(1)), null, null,
        tmp.newFolder("scratch").toPath());
  }

  private XenDriver newDriver(Duration taskDeadline) throws IOException {
    XapiSession xapi = XapiSession.withPassword(pool.url(), FakeXapi.USER, FakeXapi.PASSWORD, 3,
        Duration.ofMillis(10));
    return new XenDriver(xapi, FakeXapi.HOST_UUID, taskDeadline);
  }

  @After public void tearDown() {
    driver.close();
    pool.close();
  }

  /** Half random, half zeros: like a guest's memory, and unlike any other seed's. */
  private static byte[] guestMemory(long seed) {
    byte[] bytes = new byte[MEMORY_BYTES];
    byte[] random = new byte[MEMORY_BYTES / 2];
    new Random(seed).nextBytes(random);
    System.arraycopy(random, 0, bytes, 0, random.length);
    return bytes;
  }

  private byte[] stored(CheckpointKey key) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, staging, out, null);
    return out.toByteArray();
  }

  private void assertPoolClean() {
    assertEquals("snapshots left on the pool", 0, pool.snapshotCount());
    assertEquals("VDIs left on the pool", vdisBefore, pool.vdis.size());
    assertTrue("the ISO in the CD drive is not the snapshot's to destroy", pool.vdis.containsKey(pool.isoVdi));
    assertEquals(List.of(), driver.leftovers());
  }

  @Test public void checkpointStoresTheSuspendImageAndDestroysTheSnapshot() throws IOException {
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    CheckpointAgent.Report report = agent.checkpoint(key);

    assertEquals(CaptureMode.XAPI_CHECKPOINT, report.capture().mode());
    assertEquals("XAPI's span of the checkpoint task", Duration.ofSeconds(2), report.capture().guestPause());
    byte[] image = stored(key);
    assertEquals(MEMORY_BYTES + FakeXapi.SUSPEND_SLACK, image.length);
    assertArrayEquals(memory, Arrays.copyOf(image, MEMORY_BYTES));
    assertPoolClean();
    assertTrue(pool.calls.contains("GET /export_raw_vdi"));
  }

  @Test public void aCutSuspendsTheGuestCheckpointsThatStateAndResumesItBeforeTheExport() throws IOException {
    agent.pause(VM);
    assertEquals("the guest stands still from the cut on", "Suspended", pool.vmNamed(VM).powerState);
    AtomicInteger runningCalls = new AtomicInteger();
    CheckpointKey key = new CheckpointKey(VM, "ck-cut");
    CheckpointAgent.Report report = agent.checkpointPaused(key, () -> {
      runningCalls.incrementAndGet();
      assertEquals("running again when told so", "Running", pool.vmNamed(VM).powerState);
    });

    assertEquals(1, runningCalls.get());
    assertArrayEquals("the memory as of the suspend", memory, Arrays.copyOf(stored(key), MEMORY_BYTES));
    FakeXapi.Vm vm = pool.vmNamed(VM);
    assertEquals("Running", vm.powerState);
    assertEquals(FakeXapi.HOST_UUID, pool.hostUuidOf(vm));
    assertArrayEquals("it runs on from its own memory", memory, vm.memory);
    List<String> calls = pool.calls;
    assertTrue("suspend, checkpoint of the suspended VM, resume, then the export: " + calls,
        calls.indexOf("Async.VM.suspend") < calls.indexOf("Async.VM.checkpoint")
            && calls.indexOf("Async.VM.checkpoint") < calls.indexOf("Async.VM.resume_on")
            && calls.indexOf("Async.VM.resume_on") < calls.indexOf("GET /export_raw_vdi"));
    assertFalse(report.capture().guestPause().isNegative() || report.capture().guestPause().isZero());
    assertPoolClean();
  }

  @Test public void aCutWhoseCheckpointFailsResumesTheGuestAndLeavesNothing() throws IOException {
    agent.pause(VM);
    pool.failNextTask("VM.checkpoint", "SR_BACKEND_FAILURE_44", "", "There is insufficient space");
    AtomicInteger runningCalls = new AtomicInteger();
    try {
      agent.checkpointPaused(new CheckpointKey(VM, "ck-cut"), runningCalls::incrementAndGet);
      fail("the checkpoint failed");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("VM.checkpoint of " + VM + " failed"));
    }
    assertEquals("Running", pool.vmNamed(VM).powerState);
    assertEquals(1, runningCalls.get());
    assertPoolClean();
  }

  @Test public void aCutNoCheckpointFollowsResumesTheGuest() throws IOException {
    agent.pause(VM);
    agent.resume(VM);
    assertEquals("Running", pool.vmNamed(VM).powerState);
    assertArrayEquals(memory, pool.vmNamed(VM).memory);
    assertPoolClean();
  }

  @Test public void aGuestThatDoesNotRunCannotBeCut() throws IOException {
    agent.pause(VM);
    try {
      agent.pause(VM);
      fail("a suspended guest has no instant to cut");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString(VM + " is suspended, not running"));
    }
  }

  @Test public void aSubSecondCheckpointIsMeasuredByTheDriverInstead() throws IOException {
    pool.checkpointSpan = Duration.ZERO;  // XAPI's whole-second timestamps read the same
    Duration pause = agent.checkpoint(new CheckpointKey(VM, "ck-1")).capture().guestPause();
    assertTrue(pause + " should be above zero and below the test's deadline",
        !pause.isZero() && pause.compareTo(Duration.ofSeconds(5)) < 0);
  }

  @Test public void restoreBringsBackTheCheckpointedMemoryOnTheChosenHost() throws IOException {
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    agent.checkpoint(key);
    pool.vmNamed(VM).memory = guestMemory(2);  // the guest ran on

    agent.restore(key);

    FakeXapi.Vm vm = pool.vmNamed(VM);
    assertEquals("Running", vm.powerState);
    assertEquals(FakeXapi.HOST_UUID, pool.hostUuidOf(vm));
    assertArrayEquals(memory, vm.memory);
    assertPoolClean();
    List<String> calls = pool.calls;
    assertTrue(calls.indexOf("PUT /import_raw_vdi") < calls.indexOf("Async.VM.hard_shutdown"));
  }

  @Test public void aHaltedVmIsStartedThenRestored() throws IOException {
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    agent.checkpoint(key);
    FakeXapi.Vm vm = pool.vmNamed(VM);
    vm.powerState = "Halted";  // its host died; the pool reset it
    vm.memory = new byte[MEMORY_BYTES];

    agent.restore(key);

    assertEquals("Running", vm.powerState);
    assertArrayEquals(memory, vm.memory);
    List<String> calls = pool.calls;
    assertTrue("started before the shell checkpoint",
        calls.indexOf("Async.VM.start_on") < calls.lastIndexOf("Async.VM.checkpoint"));
    assertPoolClean();
  }

  @Test public void aPausedVmIsUnpausedThenRestored() throws IOException {
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    agent.checkpoint(key);
    pool.vmNamed(VM).powerState = "Paused";
    pool.vmNamed(VM).memory = guestMemory(2);

    agent.restore(key);

    assertEquals("Running", pool.vmNamed(VM).powerState);
    assertArrayEquals(memory, pool.vmNamed(VM).memory);
    assertTrue(pool.calls.contains("Async.VM.unpause"));
    assertPoolClean();
  }

  @Test public void onlyARunningVmIsCheckpointed() throws IOException {
    pool.vmNamed(VM).powerState = "Paused";
    try {
      agent.checkpoint(new CheckpointKey(VM, "ck-1"));
      fail("XAPI keeps no memory of a paused VM's checkpoint");
    } catch (IOException e) {
      assertEquals(VM + " is paused, not running: no live checkpoint", e.getMessage());
    }
    assertFalse(pool.calls.contains("Async.VM.checkpoint"));
    assertPoolClean();
  }

  @Test public void aFailedCheckpointTaskLeavesNoSnapshot() throws IOException {
    pool.failedCheckpointLeavesSnapshot = true;
    pool.failNextTask("VM.checkpoint", "VM_CHECKPOINT_RESUME_FAILED", "OpaqueRef:vm");
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    try {
      agent.checkpoint(key);
      fail("the checkpoint task failed");
    } catch (XapiException e) {
      assertThat(e.getMessage(), containsString("VM.checkpoint of " + VM + " failed"));
      assertEquals("VM_CHECKPOINT_RESUME_FAILED", e.code());
    }
    assertTrue(staging.checkpoints().isEmpty());
    assertPoolClean();
  }

  @Test public void anExpiredSessionIsReplacedByANewLogin() throws IOException {
    agent.checkpoint(new CheckpointKey(VM, "ck-1"));
    pool.expireSessions();
    agent.checkpoint(new CheckpointKey(VM, "ck-2"));
    pool.expireNextHttpSession();
    agent.checkpoint(new CheckpointKey(VM, "ck-3"));

    assertEquals(3, pool.calls.stream().filter("session.login_with_password"::equals).count());
    assertArrayEquals(memory, Arrays.copyOf(stored(new CheckpointKey(VM, "ck-3")), MEMORY_BYTES));
    assertPoolClean();
  }

  @Test public void aBorrowedConnectionIsAskedForAgainAndNeverLoggedOut() throws IOException {
    AtomicInteger lent = new AtomicInteger();
    URL master = pool.url();
    XapiSession borrowed = XapiSession.borrowing(() -> {
      lent.incrementAndGet();  // CloudStack's pool: a connection it logged in itself
      Connection c = new Connection(master, 60, 5);
      Session.loginWithPassword(c, FakeXapi.USER, FakeXapi.PASSWORD, "2.0", "test");
      return c;
    }, "the test's pool", 3, Duration.ofMillis(10));
    try (XenDriver lender = new XenDriver(borrowed, FakeXapi.HOST_UUID, Duration.ofSeconds(5))) {
      lender.checkpoint(VM, (image, capture) -> image.transferTo(OutputStream.nullOutputStream()));
      pool.expireSessions();
      lender.checkpoint(VM, (image, capture) -> image.transferTo(OutputStream.nullOutputStream()));
    }
    assertEquals(2, lent.get());
    assertFalse("the lender's session is the lender's to end", pool.calls.contains("session.logout"));
    assertPoolClean();
  }

  @Test public void aHostGoneMidExportStoresNothingAndLeavesNoSnapshot() throws IOException {
    pool.exportCutAfter = 300_000;
    pool.exportCutAbrupt = true;
    try {
      agent.checkpoint(new CheckpointKey(VM, "ck-1"));
      fail("the export broke off");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("the export of " + VM + "'s memory image"));
      assertThat(e.getMessage(), containsString("of " + (MEMORY_BYTES + FakeXapi.SUSPEND_SLACK) + " bytes"));
    }
    assertTrue(staging.checkpoints().isEmpty());
    assertPoolClean();
  }

  @Test public void aTruncatedExportIsRefused() throws IOException {
    pool.exportCutAfter = 300_000;  // a clean end of stream, no length announced
    try {
      agent.checkpoint(new CheckpointKey(VM, "ck-1"));
      fail("the export was short");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString(
          "ended after 300000 of " + (MEMORY_BYTES + FakeXapi.SUSPEND_SLACK) + " bytes"));
    }
    assertTrue(staging.checkpoints().isEmpty());
    assertPoolClean();
  }

  @Test public void aMasterThatMissesAnswersIsAskedAgain() throws IOException {
    pool.dropNextCalls(2);
    agent.checkpoint(new CheckpointKey(VM, "ck-1"));
    assertPoolClean();
  }

  @Test public void aMasterThatNeverAnswersGivesAClearError() throws IOException {
    pool.dropNextCalls(1000);
    try {
      agent.checkpoint(new CheckpointKey(VM, "ck-1"));
      fail("the master is gone");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("did not answer"));
      assertThat(e.getMessage(), containsString("(3 tries)"));
    }
  }

  @Test public void aSnapshotThatCannotBeDestroyedNowIsDestroyedBeforeTheNextCheckpoint() throws IOException {
    pool.failNextDestroys(1);
    CheckpointKey first = new CheckpointKey(VM, "ck-1");
    agent.checkpoint(first);  // stored: the checkpoint itself succeeded
    assertArrayEquals(memory, Arrays.copyOf(stored(first), MEMORY_BYTES));
    assertEquals(1, pool.snapshotCount());
    assertEquals(1, driver.leftovers().size());

    agent.checkpoint(new CheckpointKey(VM, "ck-2"));
    assertPoolClean();
  }

  @Test public void aSnapshotLeftByADeadAgentIsFoundByItsName() throws IOException {
    pool.failNextDestroys(1);
    agent.checkpoint(new CheckpointKey(VM, "ck-1"));
    assertEquals(1, pool.snapshotCount());  // and then this agent dies, its memory of it with it

    try (XenDriver restarted = newDriver(Duration.ofSeconds(5))) {
      new CheckpointAgent(restarted, new CheckpointEngine(staging, new FixedChunker(1)), null, null,
          tmp.newFolder("scratch-2").toPath()).checkpoint(new CheckpointKey(VM, "ck-2"));
      assertEquals(0, pool.snapshotCount());
      assertEquals(vdisBefore, pool.vdis.size());
    }
  }

  @Test public void aFailedImportKeepsTheRunningVm() throws IOException {
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    agent.checkpoint(key);
    byte[] now = guestMemory(2);
    pool.vmNamed(VM).memory = now.clone();
    pool.importStatus = 500;
    try {
      agent.restore(key);
      fail("the import was refused");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("restore of " + VM));
      assertThat(e.getMessage(), containsString("HTTP 500"));
    }
    FakeXapi.Vm vm = pool.vmNamed(VM);
    assertEquals("Running", vm.powerState);
    assertArrayEquals("the guest runs on from where it was", now, vm.memory);
    assertPoolClean();
  }

  @Test public void anImageLargerThanTheSuspendVdiIsRefusedBeforeTheVmIsTouched() throws IOException {
    Path image = tmp.newFile("too-large").toPath();
    Files.write(image, new byte[MEMORY_BYTES + FakeXapi.SUSPEND_SLACK + 1]);
    try {
      driver.restore(VM, image);
      fail("the image does not fit");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("does not fit " + VM + "'s suspend VDI"));
    }
    assertEquals("Running", pool.vmNamed(VM).powerState);
    assertArrayEquals(memory, pool.vmNamed(VM).memory);
    assertPoolClean();
  }

  @Test public void aFailedRevertSaysSoAndLeavesNoShell() throws IOException {
    CheckpointKey key = new CheckpointKey(VM, "ck-1");
    agent.checkpoint(key);
    pool.failNextTask("VM.revert", "VM_REVERT_FAILED", "OpaqueRef:vm", "OpaqueRef:snap");
    try {
      agent.restore(key);
      fail("the revert failed");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("revert of " + VM + " to its memory image failed"));
      assertThat(e.getMessage(), containsString("VM_REVERT_FAILED"));
    }
    assertEquals("Halted", pool.vmNamed(VM).powerState);
    assertPoolClean();
  }

  @Test public void aTaskPastItsDeadlineIsCancelled() throws IOException {
    driver.close();
    driver = newDriver(Duration.ofMillis(300));
    pool.tasksNeverFinish = true;
    try {
      driver.checkpoint(VM, (image, capture) -> fail("no image without a finished task"));
      fail("the task never finished");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("did not finish within"));
    }
    assertTrue(pool.calls.contains("task.cancel"));
  }

  @Test public void badNamesAndCredentialsGetClearErrors() throws IOException {
    try {
      driver.checkpoint("i-9-99-VM", (image, capture) -> fail());
      fail("no such VM");
    } catch (IOException e) {
      assertEquals("no XAPI VM named i-9-99-VM", e.getMessage());
    }
    XapiSession wrong = XapiSession.withPassword(pool.url(), "root", "wrong", 3, Duration.ofMillis(10));
    try (XenDriver refused = new XenDriver(wrong, FakeXapi.HOST_UUID, Duration.ofSeconds(5))) {
      refused.checkpoint(VM, (image, capture) -> fail());
      fail("wrong password");
    } catch (XapiException e) {
      assertThat(e.getMessage(), containsString("refused the login of root"));
      assertEquals("SESSION_AUTHENTICATION_FAILED", e.code());
    }
    try {
      driver.dirtyRateMiBPerSecond(VM, Duration.ofSeconds(1));
      fail("XAPI has no dirty rate");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("no dirty-page rate"));
    }
  }
}
