package org.vmqsc.plugin.server;

/** The event types CloudStack records for the plugin's async commands and automatic recoveries. */
public final class VmqscEventTypes {

  public static final String GROUP_CREATE = "VMQSC.GROUP.CREATE";
  public static final String GROUP_UPDATE = "VMQSC.GROUP.UPDATE";
  public static final String GROUP_DELETE = "VMQSC.GROUP.DELETE";
  public static final String GROUP_ENABLE = "VMQSC.GROUP.ENABLE";
  public static final String RECOVERY = "VMQSC.RECOVERY";

  private VmqscEventTypes() {}
}
