package com.cloud.vm;

import com.cloud.deploy.DeploymentPlan;
import com.cloud.deploy.DeploymentPlanner;
import com.cloud.exception.ConcurrentOperationException;
import com.cloud.exception.InsufficientCapacityException;
import com.cloud.exception.OperationTimedoutException;
import com.cloud.exception.ResourceUnavailableException;
import com.cloud.utils.component.Manager;
import java.util.Map;

/** Only the methods this plugin calls. */
public interface VirtualMachineManager extends Manager {
  void advanceStart(String vmUuid, Map<VirtualMachineProfile.Param, Object> params, DeploymentPlan planToDeploy,
                    DeploymentPlanner planner) throws InsufficientCapacityException, ResourceUnavailableException,
      ConcurrentOperationException, OperationTimedoutException;

  void advanceStop(String vmUuid, boolean cleanupEvenIfUnableToStop) throws ResourceUnavailableException,
      OperationTimedoutException, ConcurrentOperationException;
}
