import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/dist/index.css'
import './app/theme.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './app/router'
import { whenSignedOut } from './api/client'
import { useSession } from './app/session'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(router)
document.documentElement.lang = i18n.global.locale.value

whenSignedOut(() => {
  useSession().forget()
  if (router.currentRoute.value.name !== 'login') {
    router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } })
  }
})

app.mount('#app')
