package org.vmqsc.agent.kvm;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.contains;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainBlockInfo;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;
import org.mockito.InOrder;

/**
 * Disk cuts that fail, with libvirt mocked and real qcow2 files (needs {@code qemu-img}): a refused disk snapshot
 * leaves no overlay behind and the guest runs again; the domain XML handed to a restore names the new overlays and
 * none of the old chain.
 */
public class KvmDiskCutFaultTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final String DISABLE = "\"capability\":\"background-snapshot\",\"state\":false";
  private static final String ENABLE = "\"capability\":\"background-snapshot\",\"state\":true";

  private Domain domain;
  private KvmDriver driver;
  private Path disks;
  private Path data;

  @BeforeClass public static void needsQemuImg() {
    QemuImgRequired.check("KvmDiskCutFaultTest");
  }

  @Before public void setUp() throws Exception {
    disks = tmp.newFolder("disks").toPath();
    data = disks.resolve("data.qcow2");
    DiskChains.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", data.toString(), "64M"));
    Connect connect = mock(Connect.class);
    domain = mock(Domain.class);
    when(connect.domainLookupByName("vm-1")).thenReturn(domain);
    when(domain.getName()).thenReturn("vm-1");
    when(domain.getXMLDesc(anyInt())).thenReturn("<domain><devices><disk type='file' device='disk'>"
        + "<driver name='qemu' type='qcow2'/><source file='" + data + "'/><target dev='vdb' bus='virtio'/></disk>"
        + "<disk type='file' device='cdrom'><target dev='hdc'/><readonly/></disk></devices></domain>");
    when(domain.qemuMonitorCommand(anyString(), anyInt())).thenReturn("{\"return\":{}}");
    DomainBlockInfo size = mock(DomainBlockInfo.class);
    when(size.getCapacity()).thenReturn(64L << 20);
    when(domain.blockInfo("vdb")).thenReturn(size);
    DomainInfo paused = new DomainInfo();
    paused.state = DomainInfo.DomainState.VIR_DOMAIN_PAUSED;
    when(domain.getInfo()).thenReturn(paused);
    driver = new KvmDriver(connect, tmp.newFolder("scratch").toPath());
    driver.setStateReader(d -> 1);  // running
    driver.setFileHandover((d, command, fd) -> "{\"return\":{}}");  // QEMU took the memory image's descriptor
  }

  @Test public void aRefusedDiskSnapshotLeavesNoOverlayAndTheGuestRuns() throws Exception {
    LibvirtException refused = mock(LibvirtException.class);
    when(refused.getMessage()).thenReturn("unsupported configuration: external snapshot file already exists");
    when(domain.snapshotCreateXML(anyString(), anyInt())).thenThrow(refused);
    driver.pause("vm-1");
    try (var files = Files.list(disks)) {
      assertEquals("the overlay is prepared before the stop", 2, files.count());
    }
    AtomicInteger running = new AtomicInteger();
    try {
      driver.checkpointPaused("vm-1", running::incrementAndGet, (in, c) -> fail("no image expected"));
      fail("a refused disk snapshot produced a checkpoint");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("disk snapshot of vm-1 failed"));
      assertThat(e.getMessage(), containsString("already exists"));
    }
    assertEquals("running is announced", 1, running.get());
    InOrder order = inOrder(domain);
    order.verify(domain).suspend();
    order.verify(domain).snapshotCreateXML(contains("snapshot='external'"), anyInt());
    order.verify(domain).resume();
    verify(domain).qemuMonitorCommand(contains(DISABLE), anyInt());
    try (var files = Files.list(disks)) {
      assertEquals("only the disk itself is left", List.of(data), files.toList());
    }
    try (var files = Files.list(tmp.getRoot().toPath().resolve("scratch"))) {
      assertEquals(0, files.count());
    }
    // And the guest can be paused for the next checkpoint: nothing of the failed one is pending.
    driver.pause("vm-1");
  }

  @Test public void checkpointPausedWithoutPauseIsRefused() throws Exception {
    try {
      driver.checkpointPaused("vm-1", () -> { }, (in, c) -> fail("no image expected"));
      fail("checkpointed a guest nobody paused");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("not paused by pause()"));
    }
    verify(domain, never()).snapshotCreateXML(anyString(), anyInt());
  }

  @Test public void theRestoredDomainXmlNamesTheNewOverlayAndNoneOfTheOldChain() throws Exception {
    String saved = "<domain><devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        + "<source file='/old/top.qcow2' index='3'/><backingStore type='file' index='2'><format type='qcow2'/>"
        + "<source file='/old/mid.qcow2'/><backingStore type='file' index='1'><format type='qcow2'/>"
        + "<source file='/old/base.qcow2'/><backingStore/></backingStore></backingStore>"
        + "<target dev='vdb' bus='virtio'/></disk><disk type='file' device='disk'><source file='/other.img'/>"
        + "<target dev='vdc' bus='virtio'/></disk></devices></domain>";
    String xml = KvmDriver.withDiskSources(saved, Map.of("vdb", Path.of("/new/run-1.qcow2")), Path.of("ck.save"));
    assertEquals("<domain><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        + "<source file='/new/run-1.qcow2'/><target dev='vdb' bus='virtio'/></disk><disk type='file' device='disk'>"
        + "<source file='/other.img'/><target dev='vdc' bus='virtio'/></disk></devices></domain>", xml);
    try {
      KvmDriver.withDiskSources(saved, Map.of("vdz", Path.of("/new/x.qcow2")), Path.of("ck.save"));
      fail("a disk the image does not have was accepted");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("no disk vdz"));
    }
    assertTrue(KvmDriver.cuttableDisks(saved, "vm").containsKey("vdb"));
  }

  /** What libvirt does with a snapshot XML that names a memory file: writes the image (three bytes here). */
  private static void writeMemoryImage(String xml) throws IOException {
    if (!xml.contains("<memory")) return;  // a disk-only snapshot
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<memory snapshot='external' file='([^']+)'")
        .matcher(xml);
    assertTrue("the memory snapshot names its file: " + xml, m.find());
    Files.write(Path.of(m.group(1)), new byte[] {1, 2, 3});
  }

  /**
   * Disk snapshots succeed; the background snapshot (QMP {@code migrate} into the image the cut prepared) fails, a
   * pre-copy one through libvirt writes its image.
   */
  private void backgroundFailsThenPreCopyWorks() throws Exception {
    when(domain.qemuMonitorCommand(contains("query-migrate"), anyInt()))
        .thenReturn("{\"return\":{\"status\":\"failed\",\"error-desc\":\"unexpectedly failed\"}}");
    when(domain.snapshotCreateXML(anyString(), anyInt())).thenAnswer(call -> {
      writeMemoryImage(call.getArgument(0));
      return mock(org.libvirt.DomainSnapshot.class);
    });
  }

  @Test public void aBackgroundSnapshotThatFailsAfterTheGuestRanAgainGivesNoCheckpoint() throws Exception {
    backgroundFailsThenPreCopyWorks();
    driver.pause("vm-1");  // the guest reads as running from here on: QEMU restarted it before failing
    AtomicInteger running = new AtomicInteger();
    try {
      driver.checkpointPaused("vm-1", running::incrementAndGet, (in, c) -> fail("no image expected"));
      fail("a pre-copy snapshot after the guest ran again would not hold the memory of the pause");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("failed after the guest ran again"));
      assertThat(e.getMessage(), containsString("unexpectedly failed"));
    }
    assertEquals(1, running.get());
    verify(domain).qemuMonitorCommand(contains(DISABLE), anyInt());
    try (var files = Files.list(tmp.getRoot().toPath().resolve("scratch"))) {
      assertEquals(0, files.count());
    }
  }

  @Test public void aBackgroundSnapshotThatFailsWhileTheGuestIsStillPausedFallsBackToPreCopy() throws Exception {
    backgroundFailsThenPreCopyWorks();
    driver.pause("vm-1");
    driver.setStateReader(d -> 3);  // still paused: pre-copy captures the memory of the pause
    AtomicInteger running = new AtomicInteger();
    byte[][] image = new byte[1][];
    org.vmqsc.agent.driver.Capture capture = driver.checkpointPaused("vm-1", running::incrementAndGet,
        (in, c) -> image[0] = in.readAllBytes());
    assertEquals(org.vmqsc.agent.driver.CaptureMode.PRE_COPY, capture.mode());
    assertThat(capture.fallbackReason(), containsString("unexpectedly failed"));
    assertEquals(Map.of("vdb", data), capture.frozenDisks());
    assertEquals(3, image[0].length);
    assertEquals(1, running.get());
    verify(domain).resume();  // pre-copy leaves the guest stopped: the driver runs it again
  }

  @Test public void withALibvirtTooOldToHandQemuAFileTheMemoryGoesThroughItsSnapshotJob() throws Exception {
    AtomicInteger handovers = new AtomicInteger();
    driver.setFileHandover((d, command, fd) -> {
      handovers.incrementAndGet();
      throw new UnsatisfiedLinkError("virDomainQemuMonitorCommandWithFiles");  // libvirt 8.0, say
    });
    when(domain.qemuMonitorCommand(contains("query-migrate"), anyInt()))
        .thenReturn("{\"return\":{\"status\":\"completed\",\"downtime\":3}}");
    when(domain.snapshotCreateXML(anyString(), anyInt())).thenAnswer(call -> {
      writeMemoryImage(call.getArgument(0));
      return mock(org.libvirt.DomainSnapshot.class);
    });
    for (int cut = 0; cut < 2; cut++) {
      driver.pause("vm-1");
      byte[][] image = new byte[1][];
      org.vmqsc.agent.driver.Capture capture = driver.checkpointPaused("vm-1", () -> { },
          (in, c) -> image[0] = in.readAllBytes());
      assertEquals(org.vmqsc.agent.driver.CaptureMode.BACKGROUND_SNAPSHOT, capture.mode());
      assertEquals("libvirt's snapshot job wrote the image", 3, image[0].length);
    }
    assertEquals("the handover is tried once, not at every cut", 1, handovers.get());
    verify(domain, org.mockito.Mockito.times(2)).snapshotCreateXML(contains("<memory"), anyInt());
    try (var files = Files.list(tmp.getRoot().toPath().resolve("scratch"))) {
      assertEquals("no image the driver began is left", 0, files.count());
    }
  }

  /**
   * The next cut comes while the previous background snapshot's memory is still on its way (a slow host): its
   * preparation finds the capability refused. That snapshot's end must not restart the guest the next cut paused (the
   * caller was told it runs, and cut it again), and the next snapshot, once the previous one has ended, is a background
   * one after all: the guest stood still since its pause, so it is still of the cut's instant.
   */
  @Test public void aCutWhileThePreviousSnapshotStillRunsStaysPausedAndIsABackgroundSnapshotAfterAll() throws Exception {
    CountDownLatch firstMayEnd = new CountDownLatch(1);
    AtomicInteger memorySnapshots = new AtomicInteger();
    // The memory through libvirt's snapshot job (as with a libvirt before 8.2), so that the test can hold the first
    // one back: the job holds the domain's snapshot lock until QEMU has written every page.
    driver.setFileHandover((d, command, fd) -> {
      throw new UnsatisfiedLinkError("virDomainQemuMonitorCommandWithFiles");
    });
    when(domain.qemuMonitorCommand(contains("query-migrate"), anyInt()))
        .thenReturn("{\"return\":{\"status\":\"completed\",\"downtime\":3}}");
    when(domain.qemuMonitorCommand(contains(ENABLE), anyInt())).thenReturn("{\"return\":{}}",
        "{\"error\":{\"class\":\"GenericError\",\"desc\":\"There's a migration process in progress\"}}",
        "{\"return\":{}}");
    when(domain.snapshotCreateXML(anyString(), anyInt())).thenAnswer(call -> {
      String xml = call.getArgument(0);
      if (xml.contains("<memory") && memorySnapshots.incrementAndGet() == 1) {
        assertTrue(firstMayEnd.await(30, TimeUnit.SECONDS));
      }
      writeMemoryImage(xml);
      return mock(org.libvirt.DomainSnapshot.class);
    });
    ExecutorService snapshots = Executors.newSingleThreadExecutor();
    try {
      driver.pause("vm-1");
      CountDownLatch firstRuns = new CountDownLatch(1);
      Future<org.vmqsc.agent.driver.Capture> first = snapshots.submit(
          () -> driver.checkpointPaused("vm-1", firstRuns::countDown, (in, c) -> in.readAllBytes()));
      assertTrue("the first snapshot said the guest runs", firstRuns.await(30, TimeUnit.SECONDS));

      driver.pause("vm-1");  // the next cut: its preparation waits a while for the first snapshot, then goes on
      firstMayEnd.countDown();
      assertEquals(org.vmqsc.agent.driver.CaptureMode.BACKGROUND_SNAPSHOT, first.get(30, TimeUnit.SECONDS).mode());
      verify(domain, never()).resume();  // the first snapshot's end left the next cut's pause alone

      AtomicInteger secondRuns = new AtomicInteger();
      org.vmqsc.agent.driver.Capture second = driver.checkpointPaused("vm-1", secondRuns::incrementAndGet,
          (in, c) -> assertEquals(3, in.readAllBytes().length));
      assertEquals(org.vmqsc.agent.driver.CaptureMode.BACKGROUND_SNAPSHOT, second.mode());
      assertEquals("not a fallback", null, second.fallbackReason());
      assertEquals(1, secondRuns.get());
      verify(domain, org.mockito.Mockito.times(3)).qemuMonitorCommand(contains(ENABLE), anyInt());
    } finally {
      firstMayEnd.countDown();
      snapshots.shutdownNow();
    }
  }
}
