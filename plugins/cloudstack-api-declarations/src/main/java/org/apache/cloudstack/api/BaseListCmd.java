package org.apache.cloudstack.api;

public abstract class BaseListCmd extends BaseCmd {
  @Parameter(name = ApiConstants.KEYWORD, type = CommandType.STRING, description = "List by keyword")
  private String keyword;

  @Parameter(name = ApiConstants.PAGE, type = CommandType.INTEGER)
  private Integer page;

  @Parameter(name = ApiConstants.PAGE_SIZE, type = CommandType.INTEGER)
  private Integer pageSize;

  public String getKeyword() {
    throw new UnsupportedOperationException("declaration only");
  }

  public Integer getPage() {
    throw new UnsupportedOperationException("declaration only");
  }

  public Integer getPageSize() {
    throw new UnsupportedOperationException("declaration only");
  }

  public Long getPageSizeVal() {
    throw new UnsupportedOperationException("declaration only");
  }

  public Long getStartIndex() {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public long getEntityOwnerId() {
    throw new UnsupportedOperationException("declaration only");
  }
}
