package com.cloud.vm;

/** Only the nested type this plugin names. */
public interface VirtualMachineProfile {
  class Param {
    private final String name;

    public Param(String name) {
      this.name = name;
    }

    public String getName() {
      return name;
    }
  }
}
