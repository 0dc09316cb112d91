package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * A data disk for the lab guest, for tests and the benchmark: a qcow2 file in the guest's domain XML, and
 * writes into it through QEMU's own block layer (HMP {@code qemu-io}), so a test can put known patterns on the disk
 * before and after a checkpoint without a program in the guest. Reads go through {@code qemu-io -r -U} on the host
 * (-U: also on a file a running QEMU has open).
 */
public final class LabDisk {

  private static final int HMP = 1;  // VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP

  private LabDisk() {}

  /** A directory QEMU (user libvirt-qemu) can reach, under the lab guest's directory. */
  public static Path directory(String name) throws IOException {
    Path run = LabGuest.guestDir().resolve("run");
    Files.createDirectories(run);
    Path dir = Files.createTempDirectory(run, name);
    dir.toFile().setExecutable(true, false);
    dir.toFile().setReadable(true, false);
    return dir;
  }

  /** The lab guest and its data disk. */
  public record GuestWithDisk(LabGuest guest, Path disk) {}

  /**
   * Starts the lab guest with an empty qcow2 data disk of {@code mib} MiB in {@code dir} as vdb (the lab guest's
   * machine has no PCI hotplug, so the disk is in the domain XML from the start).
   */
  public static GuestWithDisk start(Connect connect, LabGuest.Spec spec, Path dir, int mib) throws IOException {
    return start(connect, spec, dir, mib, "qcow2");
  }

  /** As {@link #start}, with a raw data disk (a format whose file cannot hold internal snapshots). */
  public static GuestWithDisk startRaw(Connect connect, LabGuest.Spec spec, Path dir, int mib) throws IOException {
    return start(connect, spec, dir, mib, "raw");
  }

  private static GuestWithDisk start(Connect connect, LabGuest.Spec spec, Path dir, int mib, String format)
      throws IOException {
    Path file = dir.resolve("data." + format);
    DiskChains.run(List.of("qemu-img", "create", "-q", "-f", format, file.toString(), mib + "M"));
    String disk = "<disk type='file' device='disk'><driver name='qemu' type='" + format + "'/><source file='" + file
        + "'/><target dev='vdb' bus='virtio'/></disk>";
    LabGuest guest = LabGuest.start(connect, spec, xml -> {
      if (!xml.contains("</devices>")) {
        throw new IllegalStateException("the lab guest's domain XML has no <devices> to add the disk to");
      }
      return xml.replace("</devices>", disk + "</devices>");
    });
    return new GuestWithDisk(guest, file);
  }

  /** Writes {@code length} bytes of {@code pattern} at {@code offset} into the guest's disk, through its QEMU. */
  public static void write(Connect connect, String vmName, String target, int pattern, long offset, int length)
      throws IOException {
    try {
      Domain domain = connect.domainLookupByName(vmName);
      String qdev = "/machine/peripheral/" + alias(domain, target) + "/virtio-backend";
      String reply = domain.qemuMonitorCommand(String.format("qemu-io -d %s \"write -P 0x%02x %d %d\"", qdev,
          pattern, offset, length), HMP);
      if (reply.contains("Error") || reply.contains("error")) {
        throw new IOException("qemu-io write into " + target + " of " + vmName + " failed: " + reply.trim());
      }
    } catch (LibvirtException e) {
      throw new IOException("qemu-io write into " + target + " of " + vmName + " failed: " + e.getMessage(), e);
    }
  }

  private static String alias(Domain domain, String target) throws LibvirtException, IOException {
    Matcher m = Pattern.compile("<target dev='" + target + "'[^>]*/>.*?<alias name='([^']+)'/>", Pattern.DOTALL)
        .matcher(domain.getXMLDesc(0));
    if (!m.find()) {
      throw new IOException("no disk " + target + " with an alias in the domain XML");
    }
    return m.group(1);
  }

  /** Whether the disk under {@code top} holds {@code pattern} in every byte of the range (read on the host). */
  public static boolean holds(Path top, int pattern, long offset, int length) throws IOException {
    Process p = new ProcessBuilder("qemu-io", "-r", "-U", "-c", String.format("read -P 0x%02x %d %d", pattern,
        offset, length), top.toString()).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      if (out.contains("Pattern verification failed")) {
        return false;
      }
      if (p.exitValue() != 0 || !out.contains("read " + length + "/" + length)) {
        throw new IOException("qemu-io read of " + top + " failed: " + out.trim());
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
