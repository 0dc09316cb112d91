package org.apache.cloudstack.acl;

public interface SecurityChecker {
  enum AccessType {
    ListEntry, ModifyProject, OperateEntry, UseEntry
  }
}
