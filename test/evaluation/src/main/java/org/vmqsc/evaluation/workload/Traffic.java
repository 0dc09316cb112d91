package org.vmqsc.evaluation.workload;

import java.util.List;
import org.vmqsc.evaluation.VmClasses;

/**
 * Raw traffic from a generator or a trace: rows of (send time, src, dst, bytes), the number of VMs, and the VM_QSC
 * classes the source itself prescribes (the paper's setting does), or null to let the advisor choose.
 */
public record Traffic(String name, int vms, List<double[]> sends, VmClasses classes, double suggestedBasePeriod) {
  public Traffic {
    if (vms < 2) throw new IllegalArgumentException(name + ": a group needs at least 2 VMs, got " + vms);
    sends = List.copyOf(sends);
  }

  public double lastSendTime() {
    double t = 0;
    for (double[] s : sends) t = Math.max(t, s[0]);
    return t;
  }
}
