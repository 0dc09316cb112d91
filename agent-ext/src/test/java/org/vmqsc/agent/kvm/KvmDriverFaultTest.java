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
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import org.mockito.InOrder;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;

/**
 * Hypervisor failures we cannot provoke on a real QEMU on demand, injected with Mockito: whatever fails, the
 * background-snapshot capability is switched off again and no image is left behind.
 */
public class KvmDriverFaultTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final String ENABLE = "\"capability\":\"background-snapshot\",\"state\":true";
  private static final String DISABLE = "\"capability\":\"background-snapshot\",\"state\":false";
  private static final Pattern MEMORY_FILE = Pattern.compile("file='([^']+)'");

  private Domain domain;
  private KvmDriver driver;
  private final List<String> snapshotXml = new ArrayList<>();

  @Before public void setUp() throws Exception {
    Connect connect = mock(Connect.class);
    domain = mock(Domain.class);
    when(connect.domainLookupByName("vm-1")).thenReturn(domain);
    when(domain.getName()).thenReturn("vm-1");
    when(domain.getXMLDesc(0)).thenReturn("<domain><devices><disk type='file' device='disk'><source file='/x'/>"
        + "<target dev='vda' bus='virtio'/></disk><disk type='file' device='cdrom'><target dev='hdc'/></disk>"
        + "</devices></domain>");
    when(domain.qemuMonitorCommand(anyString(), anyInt())).thenReturn("{\"return\":{}}");
    when(domain.qemuMonitorCommand(contains("query-migrate"), anyInt()))
        .thenReturn("{\"return\":{\"status\":\"completed\",\"downtime\":7}}");
    driver = new KvmDriver(connect, tmp.newFolder("scratch").toPath());
    driver.setCutDisks(false);  // these faults concern the memory snapshot; disk cuts have their own tests
  }

  private static LibvirtException libvirtError(String message) {
    LibvirtException e = mock(LibvirtException.class);
    when(e.getMessage()).thenReturn(message);
    return e;
  }

  /** A snapshot call that writes the memory file named in the XML, as libvirt does. */
  private DomainSnapshot writesImage(String xml) throws IOException {
    snapshotXml.add(xml);
    Matcher m = MEMORY_FILE.matcher(xml);
    assertTrue(m.find());
    Files.write(Path.of(m.group(1)), new byte[] {1, 2, 3});
    return mock(DomainSnapshot.class);
  }

  @Test public void aFailedBackgroundSnapshotFallsBackToPreCopyAndSwitchesTheCapabilityOff() throws Exception {
    LibvirtException failure = libvirtError("operation failed: migration job: unexpectedly failed");
    when(domain.snapshotCreateXML(anyString(), anyInt()))
        .thenThrow(failure)
        .thenAnswer(call -> writesImage(call.getArgument(0)));
    byte[][] received = new byte[1][];
    Capture capture = driver.checkpoint("vm-1", (image, c) -> received[0] = image.readAllBytes());
    assertEquals(CaptureMode.PRE_COPY, capture.mode());
    assertThat(capture.fallbackReason(), containsString("unexpectedly failed"));
    assertEquals(7, capture.guestPause().toMillis());
    assertEquals(3, received[0].length);
    InOrder order = inOrder(domain);
    order.verify(domain).qemuMonitorCommand(contains(ENABLE), anyInt());
    order.verify(domain).qemuMonitorCommand(contains(DISABLE), anyInt());
    order.verify(domain).snapshotCreateXML(anyString(), anyInt());
    assertThat(snapshotXml.get(0), containsString("<disk name='vda' snapshot='no'/>"));
    assertTrue("only real disks are listed", !snapshotXml.get(0).contains("hdc"));
    assertScratchEmpty();
  }

  @Test public void whenEverySnapshotFailsTheErrorIsClearAndTheCapabilityIsOff() throws Exception {
    LibvirtException first = libvirtError("first failure");
    LibvirtException second = libvirtError("Requested operation is not valid: domain is not running");
    when(domain.snapshotCreateXML(anyString(), anyInt())).thenThrow(first).thenThrow(second);
    try {
      driver.checkpoint("vm-1", (image, c) -> fail("no image expected"));
      fail("a failed snapshot produced a checkpoint");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("vm-1"));
      assertThat(e.getMessage(), containsString("domain is not running"));
    }
    InOrder order = inOrder(domain);
    order.verify(domain).qemuMonitorCommand(contains(ENABLE), anyInt());
    order.verify(domain).qemuMonitorCommand(contains(DISABLE), anyInt());
    assertScratchEmpty();
  }

  @Test public void aConsumerThatFailsStillLeavesNoImageBehind() throws Exception {
    when(domain.snapshotCreateXML(anyString(), anyInt())).thenAnswer(call -> writesImage(call.getArgument(0)));
    try {
      driver.checkpoint("vm-1", (image, c) -> {
        throw new IOException("staging store is full");
      });
      fail("expected the consumer's error");
    } catch (IOException e) {
      assertEquals("staging store is full", e.getMessage());
    }
    InOrder order = inOrder(domain);
    order.verify(domain).qemuMonitorCommand(contains(ENABLE), anyInt());
    order.verify(domain).snapshotCreateXML(anyString(), anyInt());
    order.verify(domain).qemuMonitorCommand(contains(DISABLE), anyInt());
    assertScratchEmpty();
  }

  private void assertScratchEmpty() throws IOException {
    try (var files = Files.list(tmp.getRoot().toPath().resolve("scratch"))) {
      assertEquals(0, files.count());
    }
  }
}
