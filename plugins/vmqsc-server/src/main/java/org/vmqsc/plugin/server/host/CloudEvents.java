package org.vmqsc.plugin.server.host;

/**
 * What the plugin does on its own, in CloudStack's event list beside what admins ask for: a recovery after a host
 * failure has no API call whose job CloudStack would record.
 */
public interface CloudEvents {

  /** A recovery vmqsc ran by itself, and how it ended. */
  void recovery(boolean succeeded, String description);
}
