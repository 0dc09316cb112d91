package org.vmqsc.agent.kvm;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.store.SafeFiles;

/**
 * QEMU/KVM through libvirt.
 *
 * <p>Checkpoint: switch QEMU's {@code background-snapshot} migration capability on (QMP), take a memory-only
 * external snapshot with the LIVE flag, and switch the capability off again whatever happens, because while it is on
 * every save or migration of the VM would become a background snapshot. If QEMU refuses the capability (no
 * userfaultfd write-protect for its user) or the background snapshot fails, the ordinary pre-copy live snapshot is
 * taken instead, and the capture says so. The guest pause is QEMU's own figure ({@code query-migrate} downtime);
 * libvirt's job statistics count from an earlier STOP event and overstate it.
 *
 * <p>The snapshot's memory file is a libvirt save image; it is handed to the consumer and then deleted. Restore
 * hands a verified image to {@code virDomainRestore}, which starts the VM running from it.
 */
public final class KvmDriver implements HypervisorDriver {

  private static final String BACKGROUND_SNAPSHOT = "background-snapshot";
  private static final Pattern DISK_TARGET =
      Pattern.compile("<disk[^>]*device=['\"]disk['\"][^>]*>.*?<target[^>]*dev=['\"]([^'\"]+)['\"]", Pattern.DOTALL);

  private final Connect connect;
  private final Path scratch;
  private volatile boolean preferBackgroundSnapshot = true;

  /** @param scratch where snapshot images wait until the engine has stored them (owner-only) */
  public KvmDriver(Connect connect, Path scratch) throws IOException {
    this.connect = connect;
    this.scratch = SafeFiles.ownerOnlyDirectory(scratch);
  }

  /** Forces pre-copy snapshots (benchmarks compare both modes). */
  public void setPreferBackgroundSnapshot(boolean prefer) {
    this.preferBackgroundSnapshot = prefer;
  }

  @Override public String name() {
    return "kvm";
  }

  private Domain domain(String vmId) throws IOException {
    try {
      return connect.domainLookupByName(vmId);
    } catch (LibvirtException e) {
      throw new IOException("no libvirt domain named " + vmId + ": " + e.getMessage(), e);
    }
  }

  @Override public Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException {
    Domain domain = domain(vmId);
    Path image = scratch.resolve(vmId + "-" + UUID.randomUUID() + ".mem");
    try {
      Capture capture = snapshot(domain, image);
      try (InputStream in = Files.newInputStream(image)) {
        consumer.accept(in, capture);
      }
      return capture;
    } finally {
      Files.deleteIfExists(image);
    }
  }

  private Capture snapshot(Domain domain, Path image) throws IOException {
    String fallbackReason = null;
    if (preferBackgroundSnapshot) {
      boolean enabled = false;
      try {
        Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, true);
        enabled = true;
        takeMemorySnapshot(domain, image);
        return new Capture(CaptureMode.BACKGROUND_SNAPSHOT, lastDowntime(domain), null);
      } catch (IOException refused) {
        fallbackReason = refused.getMessage();
        Files.deleteIfExists(image);
      } finally {
        if (enabled) {
          Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, false);
        }
      }
    }
    takeMemorySnapshot(domain, image);
    return new Capture(CaptureMode.PRE_COPY, lastDowntime(domain), fallbackReason);
  }

  private void takeMemorySnapshot(Domain domain, Path image) throws IOException {
    StringBuilder xml = new StringBuilder("<domainsnapshot><name>vmqsc-")
        .append(UUID.randomUUID()).append("</name><memory snapshot='external' file='")
        .append(image).append("'/><disks>");
    try {
      for (String disk : diskTargets(domain)) {
        xml.append("<disk name='").append(disk).append("' snapshot='no'/>");  // memory only: see class comment
      }
      xml.append("</disks></domainsnapshot>");
      DomainSnapshot snapshot = domain.snapshotCreateXML(xml.toString(), Domain.SnapshotCreateFlags.LIVE);
      // The image is ours now; libvirt's record of the snapshot is not needed and would pin the file.
      snapshot.delete(DomainSnapshot.SnapshotDeleteFlags.METADATA_ONLY);
      snapshot.free();
    } catch (LibvirtException e) {
      throw new IOException("live memory snapshot of " + nameOf(domain) + " failed: " + e.getMessage(), e);
    }
    if (!Files.isRegularFile(image)) {
      throw new IOException("libvirt reported a snapshot of " + nameOf(domain) + " but wrote no memory image");
    }
  }

  private static List<String> diskTargets(Domain domain) throws LibvirtException {
    List<String> targets = new ArrayList<>();
    Matcher m = DISK_TARGET.matcher(domain.getXMLDesc(0));
    while (m.find()) {
      targets.add(m.group(1));
    }
    return targets;
  }

  /** QEMU's downtime of the migration that just completed. */
  private static Duration lastDowntime(Domain domain) throws IOException {
    JsonObject status = Qmp.execute(domain, "query-migrate", null);
    if (!status.has("downtime")) {
      throw new IOException("QEMU reported no downtime for the snapshot of " + nameOf(domain) + ": " + status);
    }
    return Duration.ofMillis(status.get("downtime").getAsLong());
  }

  @Override public void restore(String vmId, Path verifiedImage) throws IOException {
    try {
      try {
        Domain running = connect.domainLookupByName(vmId);
        if (running.isActive() == 1) {
          running.destroy();
        }
      } catch (LibvirtException noSuchDomain) {
        // nothing to replace
      }
      connect.restore(verifiedImage.toString());
      Domain restored = connect.domainLookupByName(vmId);
      if (restored.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_PAUSED) {
        restored.resume();
      }
    } catch (LibvirtException e) {
      throw new IOException("restore of " + vmId + " from " + verifiedImage.getFileName() + " failed: "
          + e.getMessage(), e);
    }
  }

  /**
   * Page-sampling only: the dirty-bitmap mode crashes QEMU under TCG. It samples the most pages QEMU allows (4096
   * per GiB); the default 512 misses a small working set in a small guest most of the time.
   */
  @Override public double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException {
    Domain domain = domain(vmId);
    JsonObject arguments = new JsonObject();
    arguments.addProperty("calc-time", Math.max(1, sample.toSeconds()));
    arguments.addProperty("mode", "page-sampling");
    arguments.addProperty("sample-pages", 4096);
    Qmp.execute(domain, "calc-dirty-rate", arguments);
    long deadline = System.currentTimeMillis() + sample.toMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      JsonObject result = Qmp.execute(domain, "query-dirty-rate", null);
      if ("measured".equals(result.get("status").getAsString())) {
        return result.get("dirty-rate").getAsDouble();  // QEMU reports MB/s (MiB)
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while measuring the dirty rate of " + vmId, e);
      }
    }
    throw new IOException("QEMU did not finish measuring the dirty rate of " + vmId);
  }

  private static String nameOf(Domain domain) {
    try {
      return domain.getName();
    } catch (LibvirtException e) {
      return "the domain";
    }
  }

  @Override public void close() {
    try {
      connect.close();
    } catch (LibvirtException ignored) {
      // closing a dead connection
    }
  }
}
