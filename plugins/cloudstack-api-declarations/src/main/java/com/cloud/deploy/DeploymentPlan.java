package com.cloud.deploy;

/** Only the type: the plugin builds a {@link DataCenterDeployment}. */
public interface DeploymentPlan {
  long getDataCenterId();

  Long getPodId();

  Long getClusterId();

  Long getHostId();
}
