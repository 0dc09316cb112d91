package com.cloud.deploy;

/** Only the type: the plugin passes none (the plan names the host). */
public interface DeploymentPlanner {
}
