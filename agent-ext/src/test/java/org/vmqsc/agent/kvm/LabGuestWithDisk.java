package org.vmqsc.agent.kvm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.rules.ExternalResource;
import org.libvirt.Connect;

/**
 * The real-guest disk tests' fixture: a lab guest with a 64 MiB qcow2 data disk (vdb) and a driver cutting its disks
 * one way, started (and ticking) before each test; after it the guest, its serial log and every file of its folder
 * (memory images, disks, layers) are gone.
 */
final class LabGuestWithDisk extends ExternalResource {

  static final int K64 = 64 * 1024;

  private final String folder;
  private final String namePrefix;
  private final KvmDriver.DiskCut cut;
  Connect connect;
  KvmDriver driver;
  LabGuest guest;
  Path dir;
  Path data;

  LabGuestWithDisk(String folder, String namePrefix, KvmDriver.DiskCut cut) {
    this.folder = folder;
    this.namePrefix = namePrefix;
    this.cut = cut;
  }

  @Override protected void before() throws Throwable {
    connect = LabGuest.connect();
    dir = LabDisk.directory(folder);
    driver = new KvmDriver(connect, dir.resolve("scratch"));
    driver.setDiskCut(cut);
    LabDisk.GuestWithDisk started = LabDisk.start(connect, new LabGuest.Spec(namePrefix
        + ProcessHandle.current().pid(), 128, 16, 256, 0.2), dir, 64);
    guest = started.guest();
    data = started.disk();
    guest.awaitTickCount(3, 60_000);
  }

  @Override protected void after() {
    try {
      if (guest != null) {
        guest.close();
        Files.deleteIfExists(LabGuest.guestDir().resolve("run").resolve(guest.name() + ".serial"));
      }
      driver.close();  // its monitors, and the connection
      try (var files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not clean up after " + namePrefix + ": " + e.getMessage(), e);
    }
  }

  /** Writes 64 KiB of {@code pattern} into vdb at {@code offset}, through QEMU. */
  void write(int pattern, long offset) throws java.io.IOException {
    LabDisk.write(connect, guest.name(), "vdb", pattern, offset, K64);
  }
}
