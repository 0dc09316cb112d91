import { createApp } from 'vue'
import 'ant-design-vue/dist/reset.css'
import App from './App.vue'
import { antd } from './antd.js'

createApp(App).use(antd).mount('#app')
