package com.cloud.vm;

import com.cloud.hypervisor.Hypervisor.HypervisorType;
import com.cloud.utils.fsm.StateObject;
import org.apache.cloudstack.acl.ControlledEntity;
import org.apache.cloudstack.api.Identity;
import org.apache.cloudstack.api.InternalIdentity;

/** Only the methods this plugin calls. */
public interface VirtualMachine extends ControlledEntity, Identity, InternalIdentity,
    StateObject<VirtualMachine.State> {
  enum State {
    Starting, Running, Stopping, Stopped, Destroyed, Expunging, Migrating, Error, Unknown, Shutdown, Restoring;

    public static com.cloud.utils.fsm.StateMachine2<State, Event, VirtualMachine> getStateMachine() {
      throw new UnsupportedOperationException("declaration only");
    }
  }

  /** Only the events this plugin names. */
  enum Event {
    CreateRequested, StartRequested, StopRequested, DestroyRequested, RecoveryRequested, AgentReportStopped,
    AgentReportRunning, MigrationRequested, StorageMigrationRequested, ExpungeOperation, OperationSucceeded,
    OperationFailed, OperationFailedToError, OperationRetry, AgentReportShutdowned, AgentReportMigrated,
    RevertRequested, SnapshotRequested, RestoringRequested, RestoringFailed, RestoringSuccess, FollowAgentPowerOnReport, FollowAgentPowerOffReport
  }

  enum Type {
    User, DomainRouter, ConsoleProxy, SecondaryStorageVm, ElasticIpVm, ElasticLoadBalancerVm,
    InternalLoadBalancerVm, NetScalerVm, Instance
  }

  String getInstanceName();

  long getDataCenterId();

  String getHostName();

  Long getHostId();

  Long getLastHostId();

  boolean isHaEnabled();

  Type getType();

  HypervisorType getHypervisorType();
}
