package org.vmqsc.plugin.server.api;

import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.spy;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.BaseCmd;
import org.apache.cloudstack.api.BaseListCmd;
import org.apache.cloudstack.api.BaseResponse;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.ListResponse;
import org.apache.cloudstack.api.response.SuccessResponse;

/**
 * What CloudStack's API server does around a command, for tests without it: sets the {@code @Parameter} fields
 * from named values (as its dispatcher does, after turning UUIDs into ids), gives the command its API bean, runs
 * it, and writes its response object as CloudStack's serializer writes a command's answer (or an async job's
 * result): a list as {@code {"count": N, "<object>": [...]}} ({@code {}} when empty), an object as
 * {@code {"<object>": {...}}}, a success as {@code {"success": true, ...}}; dates as "yyyy-MM-dd'T'HH:mm:ssZ".
 * Behaviour the declarations do not have (the command's response name, its page) is stubbed on a spy.
 */
public final class CloudStackApi {

  /** CloudStack's response Gson: field names from @SerializedName, nulls left out, its date format. */
  static final Gson GSON = new GsonBuilder().setDateFormat("yyyy-MM-dd'T'HH:mm:ssZ").create();

  private final ProtectionGroupApi api;

  public CloudStackApi(ProtectionGroupApi api) {
    this.api = api;
  }

  /** Runs the command with these parameters (name, value, ...; list commands also take "page" and "pagesize"). */
  public Object execute(Class<? extends BaseCmd> type, Object... params) throws Exception {
    return command(type, params).getResponseObject();
  }

  public BaseCmd command(Class<? extends BaseCmd> type, Object... params) throws Exception {
    BaseCmd cmd = spy(prepare(type, params));
    String name = type.getAnnotation(APICommand.class).name();
    doReturn(name.toLowerCase(Locale.ROOT) + "response").when(cmd).getCommandName();
    if (cmd instanceof BaseListCmd list) {
      Long pageSize = (Long) value(params, "pagesize");
      Long page = (Long) value(params, "page");
      long size = pageSize == null ? 500 : pageSize;
      doReturn(size).when(list).getPageSizeVal();
      doReturn(page == null ? 0L : (page - 1) * size).when(list).getStartIndex();
    }
    cmd.execute();
    return cmd;
  }

  /** The command's answer as CloudStack writes it under {@code <command>response}. */
  public JsonObject answer(Class<? extends BaseCmd> type, Object... params) throws Exception {
    return json(execute(type, params));
  }

  static JsonObject json(Object response) {
    if (response instanceof ListResponse<?> list) {
      JsonObject o = new JsonObject();
      if (list.getResponses().isEmpty() && list.getCount() == 0) return o;
      o.addProperty("count", list.getCount());
      JsonArray items = new JsonArray();
      String objectName = null;
      for (Object item : list.getResponses()) {
        items.add(GSON.toJsonTree(item));
        objectName = ((BaseResponse) item).getObjectName();
      }
      if (objectName != null) o.add(objectName, items);
      return o;
    }
    if (response instanceof SuccessResponse) return GSON.toJsonTree(response).getAsJsonObject();
    BaseResponse object = (BaseResponse) response;
    JsonObject o = new JsonObject();
    o.add(object.getObjectName(), GSON.toJsonTree(object));
    return o;
  }

  private BaseCmd prepare(Class<? extends BaseCmd> type, Object... params) throws Exception {
    BaseCmd cmd = type.getDeclaredConstructor().newInstance();
    Field apiField = type.getDeclaredField("api");
    apiField.setAccessible(true);
    apiField.set(cmd, api);
    List<String> known = new ArrayList<>(List.of("page", "pagesize"));
    for (Class<?> c = type; c != BaseCmd.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        Parameter p = f.getAnnotation(Parameter.class);
        if (p == null) continue;
        known.add(p.name());
        if (c == BaseListCmd.class) continue; // paging is stubbed on the spy
        Object v = value(params, p.name());
        if (v == null) continue;
        f.setAccessible(true);
        f.set(cmd, v);
      }
    }
    for (int i = 0; i < params.length; i += 2) {
      if (!known.contains((String) params[i])) throw new IllegalArgumentException(type.getSimpleName() + " has no parameter " + params[i]);
    }
    return cmd;
  }

  private static Object value(Object[] params, String name) {
    for (int i = 0; i < params.length; i += 2) if (params[i].equals(name)) return params[i + 1];
    return null;
  }
}
