// The ant-design-vue components the page uses, registered by name (the rest stay out of the bundle).
import {
  Alert, Badge, Button, Col, ConfigProvider, Descriptions, Empty, Form, Input, InputNumber, Layout, Menu, Modal,
  Popconfirm, Radio, Row, Select, Space, Spin, Statistic, Table, Tag, Tooltip,
} from 'ant-design-vue'

const components = [Alert, Badge, Button, Col, ConfigProvider, Descriptions, Empty, Form, Input, InputNumber, Layout,
  Menu, Modal, Popconfirm, Radio, Row, Select, Space, Spin, Statistic, Table, Tag, Tooltip]

export const antd = {
  install(app) {
    for (const c of components) app.use(c)
  },
}
