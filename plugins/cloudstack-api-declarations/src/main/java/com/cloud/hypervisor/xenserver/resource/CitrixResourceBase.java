package com.cloud.hypervisor.xenserver.resource;

import com.cloud.resource.ServerResource;
import com.cloud.resource.ServerResourceBase;
import com.xensource.xenapi.Connection;

/**
 * CloudStack's resource for one XenServer / XCP-ng host, run inside the management server; its per-version
 * subclasses are what CloudStack instantiates. Only the members this plugin's wrappers name: the host it stands for
 * and a logged-in connection to the host's pool master (from CloudStack's connection pool). (It also implements
 * HypervisorResource and VirtualRouterDeployer, which this plugin does not name.)
 */
public abstract class CitrixResourceBase extends ServerResourceBase implements ServerResource {

  protected XsHost _host = new XsHost();

  public XsHost getHost() {
    return _host;
  }

  public Connection getConnection() {
    throw new UnsupportedOperationException("declaration only");
  }
}
