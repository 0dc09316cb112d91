package org.apache.cloudstack.acl;

public enum RoleType {
  Admin(1L, 1), ResourceAdmin(2L, 2), DomainAdmin(3L, 4), User(4L, 0), Unknown(-1L, -1);

  private final long id;
  private final int mask;

  RoleType(long id, int mask) {
    this.id = id;
    this.mask = mask;
  }

  public long getId() {
    return id;
  }

  public int getMask() {
    return mask;
  }
}
