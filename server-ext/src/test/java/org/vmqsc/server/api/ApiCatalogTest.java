package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.Rule;
import org.junit.Test;

/** listApis names every command served, with the fields CloudMonkey's sync reads (typed as it expects). */
public class ApiCatalogTest {

  @Rule public final ApiFixture api = new ApiFixture();

  @Test
  public void listApisDescribesEveryCommandForCloudMonkey() throws Exception {
    JsonObject list = api.client.get("listApis").response("listApis");
    Set<String> listed = new TreeSet<>();
    for (JsonElement e : list.getAsJsonArray("api")) {
      JsonObject a = e.getAsJsonObject();
      listed.add(a.get("name").getAsString().toLowerCase(Locale.ROOT));
      assertTrue(a.get("isasync").getAsJsonPrimitive().isBoolean());
      assertTrue(a.get("description").getAsJsonPrimitive().isString());
      for (JsonElement p : a.getAsJsonArray("params")) {
        JsonObject param = p.getAsJsonObject();
        assertTrue(param.get("name").getAsJsonPrimitive().isString());
        assertTrue(param.get("type").getAsJsonPrimitive().isString());
        assertTrue(param.get("required").getAsJsonPrimitive().isBoolean());
        assertTrue(param.get("description").getAsJsonPrimitive().isString());
      }
    }
    assertEquals(new TreeSet<>(api.server.commandNames()), listed);
    assertEquals(listed.size(), list.get("count").getAsInt());
  }
}
