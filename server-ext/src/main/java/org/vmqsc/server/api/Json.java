package org.vmqsc.server.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.advice.TrafficAdvisor.VmClassAdvice;
import org.vmqsc.server.service.advice.VmTraffic;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.LineEntry;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.LogSegmentView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;

/**
 * The service's views as CloudStack-style JSON objects: lower-case field names, {@code id} for an object's own
 * uuid and {@code <thing>id} for the uuids it refers to, dates as CloudStack writes them, absent values left out.
 */
final class Json {

  /** CloudStack's date format, e.g. 2026-01-31T12:00:00+0000. */
  static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ").withZone(ZoneOffset.UTC);

  private Json() {}

  static JsonObject group(GroupView g, List<MemberView> members) {
    JsonObject o = new JsonObject();
    o.addProperty("id", g.uuid());
    o.addProperty("name", g.name());
    o.addProperty("baseperiod", g.basePeriodMs());
    o.addProperty("recoverypolicy", g.recoveryPolicy().name());
    if (g.lineIndex() != null) o.addProperty("lineindex", g.lineIndex());
    date(o, "created", g.created());
    o.addProperty("state", g.startedMs() == null ? "Disabled" : "Enabled");
    if (g.startedMs() != null) date(o, "started", java.time.Instant.ofEpochMilli(g.startedMs()));
    o.addProperty("vmcount", members.size());
    JsonArray vms = new JsonArray();
    for (MemberView m : members) vms.add(member(m));
    o.add("vm", vms);
    return o;
  }

  static JsonObject member(MemberView m) {
    JsonObject o = new JsonObject();
    o.addProperty("id", m.uuid());
    o.addProperty("virtualmachineid", m.vmUuid());
    o.addProperty("number", m.number());
    o.addProperty("vmclass", m.vmClass());
    if (m.hostUuid() != null) o.addProperty("hostid", m.hostUuid());
    o.addProperty("incarnation", m.incarnation());
    date(o, "created", m.created());
    return o;
  }

  static JsonObject vmClassAdvice(VmClassAdvice a) {
    JsonObject o = new JsonObject();
    o.addProperty("virtualmachineid", a.vmUuid());
    o.addProperty("vmclass", a.vmClass());
    if (a.proposedClass() != null) o.addProperty("proposedclass", a.proposedClass());
    o.addProperty("reason", a.reason());
    VmTraffic t = a.traffic();
    if (t != null) {
      o.addProperty("periods", t.periods());
      o.addProperty("messagesreceived", t.messagesReceived());
      if (t.checkpointBytes() != null) o.addProperty("checkpointsize", t.checkpointBytes());
      o.addProperty("loggedsize", t.loggedBytes());
      o.addProperty("loggedmessages", t.loggedMessages());
    }
    if (a.receivedBytesPerPeriod() != null) {
      o.addProperty("receivedsizeperperiod", Math.round(a.receivedBytesPerPeriod()));
    }
    return o;
  }

  static JsonObject checkpoint(CheckpointView c) {
    JsonObject o = new JsonObject();
    o.addProperty("id", c.uuid());
    o.addProperty("virtualmachineid", c.vmUuid());
    o.addProperty("index", c.index());
    o.addProperty("incarnation", c.incarnation());
    o.addProperty("forced", c.forced());
    if (c.hostUuid() != null) o.addProperty("hostid", c.hostUuid());
    o.addProperty("state", c.state().name());
    o.addProperty("size", c.sizeBytes());
    o.addProperty("location", c.location());
    o.addProperty("contentdigest", c.contentDigest());
    date(o, "created", c.created());
    return o;
  }

  static JsonObject logSegment(LogSegmentView s) {
    JsonObject o = new JsonObject();
    o.addProperty("id", s.uuid());
    o.addProperty("virtualmachineid", s.vmUuid());
    o.addProperty("firstindex", s.firstIndex());
    o.addProperty("index", s.index());
    o.addProperty("incarnation", s.incarnation());
    o.addProperty("state", s.state().name());
    o.addProperty("size", s.sizeBytes());
    o.addProperty("location", s.location());
    o.addProperty("contentdigest", s.contentDigest());
    date(o, "created", s.created());
    return o;
  }

  static JsonObject line(LineView l) {
    JsonObject o = new JsonObject();
    o.addProperty("protectiongroupid", l.groupUuid());
    o.addProperty("index", l.index());
    date(o, "created", l.created());
    JsonArray entries = new JsonArray();
    for (LineEntry e : l.entries()) {
      JsonObject entry = new JsonObject();
      entry.addProperty("virtualmachineid", e.vmUuid());
      entry.addProperty("checkpointindex", e.checkpointIndex());
      entry.addProperty("checkpointid", e.checkpointUuid());
      entries.add(entry);
    }
    o.add("entry", entries);
    return o;
  }

  static JsonObject recoveryEvent(RecoveryEventView e) {
    JsonObject o = new JsonObject();
    o.addProperty("id", e.uuid());
    o.addProperty("protectiongroupid", e.groupUuid());
    o.addProperty("failurekind", e.failureKind().name());
    o.addProperty("failedid", e.failedRef());
    if (e.lineIndex() != null) o.addProperty("lineindex", e.lineIndex());
    JsonArray rolledBack = new JsonArray();
    e.rolledBack().forEach(rolledBack::add);
    o.add("rolledback", rolledBack);
    o.addProperty("replayedmessages", e.replayedMessages());
    o.addProperty("state", e.state().name());
    if (e.outcome() != null) o.addProperty("outcome", e.outcome());
    if (e.owner() != null) o.addProperty("owner", e.owner());
    date(o, "started", e.started());
    date(o, "finished", e.finished());
    if (e.durationMs() != null) o.addProperty("duration", e.durationMs());
    return o;
  }

  /** @param lease the leases' length, added as {@code leaseduration} (ms) when known */
  static JsonObject host(HostDirectory.Host h, java.time.Duration lease) {
    JsonObject o = new JsonObject();
    o.addProperty("id", h.uuid());
    o.addProperty("name", h.name());
    o.addProperty("type", HostCommands.ROUTING);
    // CloudStack's host states: Up while the lease runs, Down once it ran out.
    o.addProperty("state", h.leaseState() == HostDirectory.LeaseState.ACTIVE ? "Up" : "Down");
    o.addProperty("leasestate", h.leaseState().name());
    o.addProperty("epoch", h.epoch());
    date(o, "leaseend", h.leaseEnd());
    if (lease != null) o.addProperty("leaseduration", lease.toMillis());
    return o;
  }

  /**
   * A list response as CloudStack writes it: {@code count} (all matches, not this page's) and the items under the
   * object name; an empty list is an empty object, and a page past the end only the count, as CloudStack sends
   * them (it names the array after its items, so without items there is no array).
   */
  static JsonObject list(String objectName, List<JsonObject> items, long total) {
    JsonObject o = new JsonObject();
    if (items.isEmpty() && total == 0) return o;
    o.addProperty("count", total);
    if (items.isEmpty()) return o;
    JsonArray array = new JsonArray();
    items.forEach(array::add);
    o.add(objectName, array);
    return o;
  }

  static <T> JsonObject list(String objectName, Page<T> page, java.util.function.Function<T, JsonObject> toJson) {
    return list(objectName, page.items().stream().map(toJson).toList(), page.total());
  }

  static JsonObject single(String objectName, JsonObject object) {
    JsonObject o = new JsonObject();
    o.add(objectName, object);
    return o;
  }

  static JsonObject success() {
    JsonObject o = new JsonObject();
    o.addProperty("success", true);
    return o;
  }

  static JsonObject error(ApiException e) {
    JsonObject o = new JsonObject();
    o.addProperty("errorcode", e.errorCode());
    o.addProperty("cserrorcode", e.csErrorCode());
    o.addProperty("errortext", e.getMessage());
    return o;
  }

  private static void date(JsonObject o, String name, Instant when) {
    if (when != null) o.addProperty(name, DATE.format(when));
  }
}
