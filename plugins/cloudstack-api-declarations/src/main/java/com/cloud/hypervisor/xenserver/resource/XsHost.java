package com.cloud.hypervisor.xenserver.resource;

/**
 * What CloudStack's Xen resource learnt of its host when it connected (XAPI uuids and the address), a plain bean;
 * only the properties this plugin reads.
 */
public class XsHost {

  private String uuid;
  private String ip;
  private String pool;

  public String getUuid() {
    return uuid;
  }

  public void setUuid(final String uuid) {
    this.uuid = uuid;
  }

  public String getIp() {
    return ip;
  }

  public void setIp(final String ip) {
    this.ip = ip;
  }

  public String getPool() {
    return pool;
  }

  public void setPool(final String pool) {
    this.pool = pool;
  }
}
