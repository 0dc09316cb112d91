package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The host's pool of huge pages for guest RAM, as {@code /proc/meminfo} and {@code /proc/mounts} tell it. */
final class HugePages {

  private HugePages() {}

  /** MiB of free huge pages libvirt can give a guest (0 without a hugetlbfs mount, or where nothing says). */
  static long freeMiB() {
    try {
      if (Files.readAllLines(Path.of("/proc/mounts")).stream().noneMatch(l -> l.contains(" hugetlbfs "))) return 0;
      return freeMiB(Files.readAllLines(Path.of("/proc/meminfo")));
    } catch (IOException | RuntimeException unreadable) {
      return 0;
    }
  }

  /** From the lines of {@code /proc/meminfo}: HugePages_Free times Hugepagesize. */
  static long freeMiB(List<String> meminfo) {
    long free = 0;
    long sizeKiB = 0;
    for (String line : meminfo) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 2) continue;
      if (f[0].equals("HugePages_Free:")) free = Long.parseLong(f[1]);
      if (f[0].equals("Hugepagesize:")) sizeKiB = Long.parseLong(f[1]);
    }
    return free * sizeKiB / 1024;
  }
}
