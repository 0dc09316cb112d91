package com.cloud.hypervisor;

public class Hypervisor {
  /** A class of constants in CloudStack (not an enum): only the constants this plugin names. */
  public static class HypervisorType {
    public static final HypervisorType XenServer = new HypervisorType("XenServer");
    public static final HypervisorType KVM = new HypervisorType("KVM");
    public static final HypervisorType VMware = new HypervisorType("VMware");

    private final String name;

    public HypervisorType(String name) {
      this.name = name;
    }

    public String name() {
      return name;
    }

    @Override public String toString() {
      return name;
    }
  }
}
