package org.vmqsc.agent.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.libvirt.Domain;
import org.vmqsc.agent.driver.DiskSnapshot;

/**
 * Disk states kept inside the disks' own qcow2 files (internal snapshots), for disks whose files belong to someone
 * else — a CloudStack volume, whose path CloudStack keeps in its database: an overlay chain above it, as the lab
 * guests' disks get, would leave CloudStack starting the VM from the base file without the writes since. QEMU takes
 * an internal snapshot of a running guest's disk in milliseconds ({@code blockdev-snapshot-internal-sync}, while the
 * cut holds the guest); a restore reverts the file to it offline ({@code qemu-img snapshot -a}), the domain being
 * destroyed; a snapshot behind the recovery line is deleted through the running guest's QEMU. Names are
 * {@code vmqsc-<epoch ms>-<random>}, so the snapshots a discarded execution took after the one restored can be told
 * apart and deleted with the restore.
 */
final class InternalDiskSnapshots {

  static final String PREFIX = "vmqsc-";

  private InternalDiskSnapshots() {}

  /** A fresh name, later than every name taken before on this host's clock. */
  static String freshName() {
    return PREFIX + System.currentTimeMillis() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 16));
  }

  /** Only qcow2 files can hold internal snapshots. */
  static void checkCanHold(Collection<KvmDriver.DiskSource> disks, String vmId) throws IOException {
    for (KvmDriver.DiskSource d : disks) {
      if (!"qcow2".equals(d.format())) {
        throw new IOException("disk " + d.target() + " of " + vmId + " is " + d.format() + ": vmqsc keeps a CloudStack"
            + " volume's state at each checkpoint as an internal snapshot of its file, which only a qcow2 file holds");
      }
    }
  }

  /**
   * Snapshots every disk of the paused domain as {@code name}; on a failure the ones taken are deleted again and
   * the error is thrown (the guest's disks are then as before).
   */
  static List<DiskSnapshot> take(Domain domain, Collection<KvmDriver.DiskSource> disks, String name)
      throws IOException {
    List<DiskSnapshot> taken = new ArrayList<>();
    try {
      for (KvmDriver.DiskSource d : disks) {
        JsonObject arguments = new JsonObject();
        arguments.addProperty("device", Qmp.nodeOf(domain, d.file()));
        arguments.addProperty("name", name);
        Qmp.execute(domain, "blockdev-snapshot-internal-sync", arguments);
        taken.add(new DiskSnapshot(d.target(), d.file(), name));
      }
      return taken;
    } catch (IOException e) {
      deleteQuietly(domain, taken);
      throw new IOException("internal snapshot of the disks failed: " + e.getMessage(), e);
    }
  }

  /** Deletes snapshots of the running domain's disks (one its disks no longer know is skipped). */
  static void delete(Domain domain, Collection<DiskSnapshot> snapshots) throws IOException {
    for (DiskSnapshot s : snapshots) {
      if (!namesIn(s.file()).contains(s.name())) continue;
      JsonObject arguments = new JsonObject();
      arguments.addProperty("device", Qmp.nodeOf(domain, s.file()));
      arguments.addProperty("name", s.name());
      Qmp.execute(domain, "blockdev-snapshot-delete-internal-sync", arguments);
    }
  }

  private static void deleteQuietly(Domain domain, Collection<DiskSnapshot> snapshots) {
    try {
      delete(domain, snapshots);
    } catch (IOException ignored) {
      // left in the file; a later restore deletes what comes after the state it reverts to
    }
  }

  /** Fails, naming what is missing, unless every file still holds its snapshot. Reads files in use (-U). */
  static void checkPresent(Collection<DiskSnapshot> snapshots) throws IOException {
    for (DiskSnapshot s : snapshots) {
      if (!namesIn(s.file()).contains(s.name())) {
        throw new IOException("disk " + s.target() + " (" + s.file() + ") no longer holds snapshot " + s.name()
            + ": the checkpoint's disk state is gone");
      }
    }
  }

  /**
   * Offline (no QEMU has the files open): reverts each file to its snapshot and deletes the vmqsc snapshots taken
   * after it, which belong to the execution the revert discards.
   */
  static void revert(Collection<DiskSnapshot> snapshots) throws IOException {
    for (DiskSnapshot s : snapshots) {
      DiskChains.run(List.of("qemu-img", "snapshot", "-a", s.name(), s.file().toString()));
      for (String later : namesIn(s.file())) {
        if (isLater(later, s.name())) {
          DiskChains.run(List.of("qemu-img", "snapshot", "-d", later, s.file().toString()));
        }
      }
    }
  }

  /** Whether vmqsc snapshot {@code name} was taken after {@code than} (by the time in their names). */
  static boolean isLater(String name, String than) {
    long a = millisOf(name), b = millisOf(than);
    return a > 0 && b > 0 && a > b;
  }

  private static long millisOf(String name) {
    if (!name.startsWith(PREFIX)) return -1;
    int dash = name.indexOf('-', PREFIX.length());
    try {
      return Long.parseLong(name.substring(PREFIX.length(), dash < 0 ? name.length() : dash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The internal snapshots {@code file} holds, by name. */
  static List<String> namesIn(Path file) throws IOException {
    JsonObject info = JsonParser.parseString(DiskChains.run(List.of("qemu-img", "info", "-U", "--output=json",
        file.toString()))).getAsJsonObject();
    List<String> names = new ArrayList<>();
    if (info.has("snapshots")) {
      for (JsonElement e : info.getAsJsonArray("snapshots")) names.add(e.getAsJsonObject().get("name").getAsString());
    }
    return names;
  }

  /** QEMU's format node of the disk whose file is {@code file}. */
}
