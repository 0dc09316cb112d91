package org.vmqsc.evaluation;

import java.util.ArrayList;
import java.util.List;

/** Settings under which a scenario's numbers mean little, said next to them instead of left for the reader. */
public final class RunWarnings {
  private RunWarnings() {}

  /** @param rows every protocol's metrics on one scenario (they share its parameters) */
  public static List<String> of(List<Metrics> rows) {
    List<String> out = new ArrayList<>();
    if (rows.isEmpty() || rows.get(0).parameters().isEmpty()) return out;
    var p = rows.get(0).parameters();
    double t0 = Double.parseDouble(p.get("t0_s"));
    double pause = Double.parseDouble(p.get("checkpoint_pause_s"));
    double periods = Double.parseDouble(p.get("periods"));
    double stableMbps = Double.parseDouble(p.get("stable_mbps"));
    if (t0 < pause) {
      out.add("T0 (" + p.get("t0_s") + " s) is shorter than the checkpoint pause (" + p.get("checkpoint_pause_s")
          + " s): VMs would do little but checkpoint.");
    }
    if (periods < 3) {
      out.add("the run lasts " + p.get("periods") + " base periods, fewer than 3: checkpoints, lines and MI"
          + " intervals barely start (a shorter T0, --t0, gives more).");
    }
    for (Metrics m : rows) {
      if (m.get("overhead_percent") > 100) {
        out.add(m.protocol() + "'s overhead is " + Math.round(m.get("overhead_percent")) + " %: the VMs spend"
            + " more time on the protocol than on the application, so its other figures describe no real run.");
      }
      if (m.get("peak_storage_mb_per_s") > stableMbps) {
        out.add(m.protocol() + " writes up to " + Math.round(m.get("peak_storage_mb_per_s")) + " MB/s, more than"
            + " the stable storage's " + p.get("stable_mbps") + " MB/s (--stable-mbps): its writes would queue.");
      }
    }
    if (!p.get("classes").contains(",")) {
      out.add("every VM is " + p.get("classes").replaceAll(" x.*", "") + ": the advisor's traffic-aware and"
          + " traffic-blind assignments are the same, so their comparison compares nothing.");
    }
    return out;
  }
}
