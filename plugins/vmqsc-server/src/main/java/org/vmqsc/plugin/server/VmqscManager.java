package org.vmqsc.plugin.server;

import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.service.ProtectionService;

/** The plugin's manager bean as the API side sees it: the protection service and the hosts, once started. */
public interface VmqscManager {

  ProtectionService service();

  Cluster cluster();
}
