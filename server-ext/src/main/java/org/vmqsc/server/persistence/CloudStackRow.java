package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.MappedSuperclass;
import java.time.Instant;
import java.util.UUID;

/**
 * The columns every vmqsc table shares, after CloudStack's own conventions: a numeric {@code id} for joins, a
 * public {@code uuid} for the API, {@code created}, and {@code removed} for soft delete.
 */
@MappedSuperclass
public abstract class CloudStackRow {

  @Id @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;
  @Column(nullable = false, updatable = false)
  private String uuid;
  @Column(nullable = false, updatable = false)
  private Instant created;
  private Instant removed;

  protected CloudStackRow() {}

  protected CloudStackRow(Instant created) {
    this.uuid = UUID.randomUUID().toString();
    this.created = created;
  }

  public Long id() { return id; }
  public String uuid() { return uuid; }
  public Instant created() { return created; }
  public Instant removed() { return removed; }

  /** Soft delete: the row stays, marked with when it went. */
  public void remove(Instant when) { removed = when; }
}
