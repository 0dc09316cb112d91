package org.vmqsc.agent.driver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Facts about one live capture: how it ran, how long the guest was paused, and why a preferred mode was not used
 * ({@code fallbackReason}, null when none).
 *
 * <p>{@code frozenDisks} names, per disk target (e.g. {@code vda}), the disk file that was active up to the
 * checkpoint and is read-only from then on: with its backing chain it is the disk state of this checkpoint.
 * {@code diskSnapshots} names instead, per disk, the internal snapshot its own file keeps of that state. Both are
 * empty for a memory-only capture.
 */
public record Capture(CaptureMode mode, Duration guestPause, String fallbackReason, Map<String, Path> frozenDisks,
                      List<DiskSnapshot> diskSnapshots) {

  public Capture {
    frozenDisks = Map.copyOf(frozenDisks);
    diskSnapshots = List.copyOf(diskSnapshots);
  }

  public Capture(CaptureMode mode, Duration guestPause, String fallbackReason, Map<String, Path> frozenDisks) {
    this(mode, guestPause, fallbackReason, frozenDisks, List.of());
  }

  /** A memory-only capture. */
  public Capture(CaptureMode mode, Duration guestPause, String fallbackReason) {
    this(mode, guestPause, fallbackReason, Map.of());
  }
}
