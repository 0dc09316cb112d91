package org.vmqsc.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Which host runs each VM. VMs are numbered 0..vms-1, hosts 0..hosts-1. */
public final class Placement {
  private final int[] hostOfVm;
  private final int hosts;

  public Placement(int[] hostOfVm) {
    this.hostOfVm = hostOfVm.clone();
    this.hosts = Arrays.stream(hostOfVm).max().orElse(-1) + 1;
    for (int h : hostOfVm) if (h < 0) throw new IllegalArgumentException("negative host number " + h);
  }

  /** VM v on host v / vmsPerHost: neighbours in numbering share a host, as a scheduler filling hosts would do. */
  public static Placement packed(int vms, int vmsPerHost) {
    if (vmsPerHost < 1) throw new IllegalArgumentException("vmsPerHost must be at least 1, got " + vmsPerHost);
    int[] h = new int[vms];
    for (int v = 0; v < vms; v++) h[v] = v / vmsPerHost;
    return new Placement(h);
  }

  public int vms() { return hostOfVm.length; }
  public int hosts() { return hosts; }
  public int hostOf(int vm) { return hostOfVm[vm]; }

  public List<Integer> vmsOn(int host) {
    List<Integer> out = new ArrayList<>();
    for (int v = 0; v < hostOfVm.length; v++) if (hostOfVm[v] == host) out.add(v);
    return out;
  }
}
