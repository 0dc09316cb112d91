package org.vmqsc.server.persistence;

import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import java.util.Map;
import org.hibernate.Session;

/** Pages through an HQL selection: one count query and one page query with the same conditions. */
final class Listing {

  private Listing() {}

  static <T> Page<T> page(Session session, Class<T> type, String where, Map<String, Object> parameters,
      String orderBy, PageRequest page) {
    String entity = type.getSimpleName();
    var count = session.createSelectionQuery("select count(*) from " + entity + " where " + where, Long.class);
    var items = session.createSelectionQuery("from " + entity + " where " + where + " order by " + orderBy, type);
    parameters.forEach((name, value) -> {
      count.setParameter(name, value);
      items.setParameter(name, value);
    });
    long total = count.getSingleResult();
    return new Page<>(items.setFirstResult(page.offset()).setMaxResults(page.limit()).getResultList(),
        total, page.offset(), page.limit());
  }
}
