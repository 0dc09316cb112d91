package org.vmqsc.agent.xen;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.text.SimpleDateFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The XML-RPC the test's XAPI endpoint speaks: method calls parsed into a name and parameters (strings, booleans,
 * numbers, arrays, structs), and answers written the way XAPI writes them (a struct with {@code Status}, and
 * {@code Value} or {@code ErrorDescription}; 64-bit integers as strings, times as whole-second
 * {@code dateTime.iso8601}).
 */
final class XmlRpcWire {

  record Call(String method, List<Object> params) {}

  private XmlRpcWire() {}

  static Call parse(byte[] body) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      Document doc = factory.newDocumentBuilder().parse(new ByteArrayInputStream(body));
      String method = doc.getElementsByTagName("methodName").item(0).getTextContent().trim();
      List<Object> params = new ArrayList<>();
      Element paramsElement = (Element) doc.getElementsByTagName("params").item(0);
      if (paramsElement != null) {
        for (Element param : children(paramsElement, "param")) {
          params.add(value(children(param, "value").get(0)));
        }
      }
      return new Call(method, params);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("not an XML-RPC call: " + e, e);
    }
  }

  private static Object value(Element value) {
    List<Element> typed = children(value, null);
    if (typed.isEmpty()) {
      return value.getTextContent();
    }
    Element t = typed.get(0);
    switch (t.getTagName()) {
      case "string":
        return t.getTextContent();
      case "boolean":
        return t.getTextContent().trim().equals("1");
      case "int":
      case "i4":
        return Integer.parseInt(t.getTextContent().trim());
      case "double":
        return Double.parseDouble(t.getTextContent().trim());
      case "array": {
        List<Object> items = new ArrayList<>();
        for (Element v : children(children(t, "data").get(0), "value")) {
          items.add(value(v));
        }
        return items;
      }
      case "struct": {
        Map<String, Object> members = new java.util.LinkedHashMap<>();
        for (Element m : children(t, "member")) {
          members.put(children(m, "name").get(0).getTextContent(), value(children(m, "value").get(0)));
        }
        return members;
      }
      default:
        return t.getTextContent();
    }
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && (tag == null || e.getTagName().equals(tag))) {
        out.add(e);
      }
    }
    return out;
  }

  static String success(Object value) {
    return response(Map.of("Status", "Success", "Value", value));
  }

  static String failure(List<String> errorDescription) {
    return response(Map.of("Status", "Failure", "ErrorDescription", errorDescription));
  }

  private static String response(Map<String, Object> struct) {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?><methodResponse><params><param>");
    write(struct, xml);
    return xml.append("</param></params></methodResponse>").toString();
  }

  private static void write(Object o, StringBuilder xml) {
    xml.append("<value>");
    if (o instanceof String s) {
      xml.append("<string>").append(escape(s)).append("</string>");
    } else if (o instanceof Boolean b) {
      xml.append("<boolean>").append(b ? 1 : 0).append("</boolean>");
    } else if (o instanceof Long || o instanceof Integer) {
      xml.append("<string>").append(o).append("</string>");  // XAPI sends its int64s as strings
    } else if (o instanceof Instant t) {
      SimpleDateFormat format = new SimpleDateFormat("yyyyMMdd'T'HH:mm:ss'Z'");
      format.setTimeZone(TimeZone.getTimeZone("UTC"));
      xml.append("<dateTime.iso8601>").append(format.format(Date.from(t))).append("</dateTime.iso8601>");
    } else if (o instanceof List<?> list) {
      xml.append("<array><data>");
      for (Object item : list) {
        write(item, xml);
      }
      xml.append("</data></array>");
    } else if (o instanceof Map<?, ?> map) {
      xml.append("<struct>");
      for (Map.Entry<?, ?> e : map.entrySet()) {
        xml.append("<member><name>").append(escape(e.getKey().toString())).append("</name>");
        write(e.getValue(), xml);
        xml.append("</member>");
      }
      xml.append("</struct>");
    } else {
      throw new IllegalArgumentException("cannot write " + o);
    }
    xml.append("</value>");
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
