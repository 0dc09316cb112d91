package org.vmqsc.agent.driver;

import java.nio.file.Path;

/**
 * The state of one disk at a checkpoint, kept inside the disk's own qcow2 file as an internal snapshot named
 * {@code name}: the file stays where its owner (CloudStack's volume) put it, and a restore reverts the file to it.
 */
public record DiskSnapshot(String target, Path file, String name) {

  public DiskSnapshot {
    if (target == null || file == null || name == null || name.isBlank()) {
      throw new IllegalArgumentException("a disk snapshot needs a target, a file and a name");
    }
  }
}
