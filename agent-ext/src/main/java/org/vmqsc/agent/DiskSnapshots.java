package org.vmqsc.agent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmqsc.agent.driver.DiskSnapshot;

/**
 * A checkpoint's internal disk snapshots in its manifest's attributes: one {@code diskSnapshot.<target>} per disk,
 * the snapshot's name and the disk's file, tab-separated. The manifest is what a restore reads anyway, on whichever
 * host it runs.
 */
final class DiskSnapshots {

  private static final String PREFIX = "diskSnapshot.";

  private DiskSnapshots() {}

  static Map<String, String> attributes(List<DiskSnapshot> snapshots) {
    Map<String, String> out = new LinkedHashMap<>();
    for (DiskSnapshot s : snapshots) out.put(PREFIX + s.target(), s.name() + "\t" + s.file());
    return out;
  }

  /** The snapshots {@code attributes} name; a malformed entry is refused (a restore must not half-revert disks). */
  static List<DiskSnapshot> of(Map<String, String> attributes) {
    List<DiskSnapshot> out = new ArrayList<>();
    attributes.forEach((key, value) -> {
      if (!key.startsWith(PREFIX)) return;
      int tab = value.indexOf('\t');
      if (tab <= 0 || tab == value.length() - 1) {
        throw new IllegalArgumentException("the manifest's " + key + " is not \"<snapshot>\\t<file>\": " + value);
      }
      out.add(new DiskSnapshot(key.substring(PREFIX.length()), Path.of(value.substring(tab + 1)),
          value.substring(0, tab)));
    });
    return out;
  }
}
