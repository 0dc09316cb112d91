package org.vmqsc.server.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hibernate.Session;
import org.vmqsc.server.persistence.BoundaryArtifactEntity;
import org.vmqsc.server.persistence.CheckpointEntity;
import org.vmqsc.server.persistence.CountersConverter;
import org.vmqsc.server.persistence.LogSegmentEntity;

/**
 * The rows one host report writes, gathered while the report is checked and written at the end in a few
 * statements instead of one per row: a multi-row INSERT per table (then one SELECT for the new ids, which
 * AUTO_INCREMENT hands out only on insert), and one UPDATE per table for what became stable. A checkpoint reported
 * staged and then stable in the same batch is inserted once, stable.
 */
final class ReportBatch {

  /** Rows per statement: well below MariaDB's 65,535 placeholders per statement and its packet size. */
  private static final int ROWS_PER_STATEMENT = 500;
  private static final CountersConverter COUNTERS = new CountersConverter();
  /** DATETIME(3) text in UTC. */
  private static final DateTimeFormatter DATETIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private record Key(int vm, long csn, boolean checkpoint) {}

  /** A new row, with its counters (the entity would copy them each time they are read). */
  private record Insert(BoundaryArtifactEntity row, long[] sent, long[] received) {}

  private final Map<Key, Insert> inserts = new LinkedHashMap<>();
  private final Map<Long, String> stableCheckpoints = new LinkedHashMap<>();
  private final Map<Long, String> stableSegments = new LinkedHashMap<>();

  boolean isEmpty() {
    return inserts.isEmpty() && stableCheckpoints.isEmpty() && stableSegments.isEmpty();
  }

  /** A new row; the group state already knows it (with no id yet). */
  void insert(int vm, BoundaryArtifactEntity row, long[] sent, long[] received) {
    inserts.put(new Key(vm, row.csn(), row instanceof CheckpointEntity), new Insert(row, sent, received));
  }

  /** A row reached stable storage at {@code location}: either one of this batch's new rows, or an older one. */
  void makeStable(int vm, long csn, boolean checkpoint, Long id, String location) {
    Insert pending = inserts.get(new Key(vm, csn, checkpoint));
    if (pending != null) {
      pending.row().markStable(location);
    } else {
      (checkpoint ? stableCheckpoints : stableSegments).put(id, location);
    }
  }

  /** Writes everything and gives the group state the new rows' ids. */
  void write(Session session, GroupState state) {
    if (isEmpty()) return;
    session.doWork(connection -> {
      List<Map.Entry<Key, Insert>> checkpoints = new ArrayList<>();
      List<Map.Entry<Key, Insert>> segments = new ArrayList<>();
      for (Map.Entry<Key, Insert> e : inserts.entrySet()) {
        (e.getKey().checkpoint() ? checkpoints : segments).add(e);
      }
      insertAll(connection, checkpoints, true, state);
      insertAll(connection, segments, false, state);
      updateStable(connection, "vmqsc_checkpoint", stableCheckpoints);
      updateStable(connection, "vmqsc_log_segment", stableSegments);
    });
  }

  private static void insertAll(Connection connection, List<Map.Entry<Key, Insert>> rows,
      boolean checkpoint, GroupState state) throws SQLException {
    for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
      List<Map.Entry<Key, Insert>> chunk =
          rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT));
      Map<String, Long> ids = insertChunk(connection, chunk, checkpoint);
      if (ids == null) ids = idsOf(connection, checkpoint ? "vmqsc_checkpoint" : "vmqsc_log_segment", chunk);
      for (Map.Entry<Key, Insert> e : chunk) {
        Long id = ids.get(e.getValue().row().uuid());
        if (id == null) {
          throw new IllegalStateException("row " + e.getValue().row().uuid() + " vanished after its insert");
        }
        state.resolve(e.getKey().vm(), e.getKey().csn(), checkpoint, id);
      }
    }
  }

  /**
   * Inserts the rows; on MariaDB (10.5 and later) the same statement returns their ids ({@code RETURNING}), on
   * MySQL this returns null and the ids are read with one more query.
   */
  private static Map<String, Long> insertChunk(Connection connection,
      List<Map.Entry<Key, Insert>> chunk, boolean checkpoint) throws SQLException {
    boolean returning = supportsReturning(connection);
    String columns = checkpoint
        ? "uuid, group_id, member_id, csn, incarnation, forced, host_uuid, state, size_bytes, location,"
            + " content_digest, position, received, sent_counts, received_counts, created"
        : "uuid, group_id, member_id, first_csn, csn, incarnation, state, size_bytes, location, content_digest,"
            + " position, received, sent_counts, received_counts, created";
    StringBuilder sql = new StringBuilder("INSERT INTO ")
        .append(checkpoint ? "vmqsc_checkpoint" : "vmqsc_log_segment").append(" (").append(columns).append(") VALUES ");
    String values = checkpoint ? "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    for (int i = 0; i < chunk.size(); i++) sql.append(i == 0 ? "" : ",").append(values);
    if (returning) sql.append(" RETURNING id, uuid");
    Instant formattedInstant = null;
    String formatted = null;
    try (PreparedStatement insert = connection.prepareStatement(sql.toString())) {
      int p = 1;
      for (Map.Entry<Key, Insert> e : chunk) {
        BoundaryArtifactEntity row = e.getValue().row();
        insert.setString(p++, row.uuid());
        insert.setLong(p++, row.groupId());
        insert.setLong(p++, row.memberId());
        if (checkpoint) {
          insert.setLong(p++, row.csn());
          insert.setInt(p++, row.incarnation());
          insert.setBoolean(p++, ((CheckpointEntity) row).forced());
          insert.setString(p++, ((CheckpointEntity) row).hostUuid());
        } else {
          insert.setLong(p++, ((LogSegmentEntity) row).firstCsn());
          insert.setLong(p++, row.csn());
          insert.setInt(p++, row.incarnation());
        }
        insert.setString(p++, row.state().name());
        insert.setLong(p++, row.sizeBytes());
        insert.setString(p++, row.location());
        insert.setString(p++, row.contentDigest());
        insert.setLong(p++, row.position());
        insert.setLong(p++, row.received());
        insert.setString(p++, COUNTERS.convertToDatabaseColumn(e.getValue().sent()));
        insert.setString(p++, COUNTERS.convertToDatabaseColumn(e.getValue().received()));
        // In UTC, as Hibernate writes Instants (hibernate.jdbc.time_zone = UTC); a batch's rows share one instant.
        if (!row.created().equals(formattedInstant)) {
          formattedInstant = row.created();
          formatted = DATETIME.format(formattedInstant);
        }
        insert.setString(p++, formatted);
      }
      if (!returning) {
        insert.executeUpdate();
        return null;
      }
      Map<String, Long> ids = new HashMap<>();
      try (ResultSet rs = insert.executeQuery()) {
        while (rs.next()) ids.put(rs.getString(2), rs.getLong(1));
      }
      return ids;
    }
  }

  private static volatile Boolean returningSupported;

  /** INSERT ... RETURNING: MariaDB 10.5 and later, not MySQL. */
  private static boolean supportsReturning(Connection connection) throws SQLException {
    Boolean known = returningSupported;
    if (known == null) {
      java.sql.DatabaseMetaData meta = connection.getMetaData();
      String product = meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion();
      boolean mariaDb = product.toLowerCase(java.util.Locale.ROOT).contains("mariadb");
      known = mariaDb && (meta.getDatabaseMajorVersion() > 10
          || (meta.getDatabaseMajorVersion() == 10 && meta.getDatabaseMinorVersion() >= 5));
      returningSupported = known;
    }
    return known;
  }

  private static Map<String, Long> idsOf(Connection connection, String table,
      List<Map.Entry<Key, Insert>> chunk) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT id, uuid FROM ").append(table).append(" WHERE uuid IN (");
    for (int i = 0; i < chunk.size(); i++) sql.append(i == 0 ? "?" : ",?");
    sql.append(')');
    Map<String, Long> ids = new HashMap<>();
    try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
      for (int i = 0; i < chunk.size(); i++) select.setString(i + 1, chunk.get(i).getValue().row().uuid());
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) ids.put(rs.getString(2), rs.getLong(1));
      }
    }
    return ids;
  }

  private static void updateStable(Connection connection, String table, Map<Long, String> locations)
      throws SQLException {
    List<Map.Entry<Long, String>> all = new ArrayList<>(locations.entrySet());
    for (int from = 0; from < all.size(); from += ROWS_PER_STATEMENT) {
      List<Map.Entry<Long, String>> chunk = all.subList(from, Math.min(all.size(), from + ROWS_PER_STATEMENT));
      StringBuilder sql = new StringBuilder("UPDATE ").append(table).append(" SET state = 'STABLE', location = CASE id");
      for (int i = 0; i < chunk.size(); i++) sql.append(" WHEN ? THEN ?");
      sql.append(" END WHERE state = 'STAGED' AND id IN (");
      for (int i = 0; i < chunk.size(); i++) sql.append(i == 0 ? "?" : ",?");
      sql.append(')');
      try (PreparedStatement update = connection.prepareStatement(sql.toString())) {
        int p = 1;
        for (Map.Entry<Long, String> e : chunk) {
          update.setLong(p++, e.getKey());
          update.setString(p++, e.getValue());
        }
        for (Map.Entry<Long, String> e : chunk) update.setLong(p++, e.getKey());
        update.executeUpdate();
      }
    }
  }
}
