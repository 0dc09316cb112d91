package org.vmqsc.server.catalog;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.time.Instant;
import org.vmqsc.server.service.Views.HostFailurePlan;

/**
 * A claimed recovery plan as the JSON kept in {@code vmqsc_recovery_event.plan}, and back. The protocol's records
 * (RecoveryPlan, VmRestore, BoundaryRecord, Replay, Message) are written field by field and rebuilt through their
 * canonical constructors, so a plan read back equals the plan claimed.
 */
final class RecoveryPlans {

  private static final Gson GSON = new GsonBuilder()
      .registerTypeAdapter(Instant.class, new InstantAdapter().nullSafe())
      // inTransitLocations is keyed by Message: written as [key, value] pairs, or it could not be read back
      .enableComplexMapKeySerialization()
      .disableHtmlEscaping()
      .create();

  private RecoveryPlans() {}

  static String toJson(HostFailurePlan plan) {
    return plan == null ? null : GSON.toJson(plan);
  }

  static HostFailurePlan fromJson(String json) {
    if (json == null || json.isEmpty()) return null;
    try {
      return GSON.fromJson(json, HostFailurePlan.class);
    } catch (JsonParseException | IllegalArgumentException e) {
      throw new IllegalStateException("a stored recovery plan cannot be read: " + e.getMessage(), e);
    }
  }

  /** ISO-8601, exact to the nanosecond (java.time is closed to Gson's reflection). */
  private static final class InstantAdapter extends TypeAdapter<Instant> {
    @Override public void write(JsonWriter out, Instant value) throws IOException {
      out.value(value.toString());
    }

    @Override public Instant read(JsonReader in) throws IOException {
      if (in.peek() == JsonToken.NULL) {
        in.nextNull();
        return null;
      }
      return Instant.parse(in.nextString());
    }
  }
}
