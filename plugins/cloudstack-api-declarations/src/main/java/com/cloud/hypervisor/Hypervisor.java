package com.cloud.hypervisor;

public class Hypervisor {
  /** Only the constants this plugin names. */
  public enum HypervisorType {
    None, XenServer, KVM, VMware, Hyperv, BareMetal, Simulator, Ovm3, LXC, Custom, Any
  }
}
