package com.cloud.deploy;

/** The constructor and readers this plugin uses. */
public class DataCenterDeployment implements DeploymentPlan {
  private final long dataCenterId;
  private final Long podId;
  private final Long clusterId;
  private final Long hostId;

  public DataCenterDeployment(long dataCenterId, Long podId, Long clusterId, Long hostId, Long poolId,
                              Long physicalNetworkId) {
    this.dataCenterId = dataCenterId;
    this.podId = podId;
    this.clusterId = clusterId;
    this.hostId = hostId;
  }

  @Override public long getDataCenterId() {
    return dataCenterId;
  }

  @Override public Long getPodId() {
    return podId;
  }

  @Override public Long getClusterId() {
    return clusterId;
  }

  @Override public Long getHostId() {
    return hostId;
  }
}
