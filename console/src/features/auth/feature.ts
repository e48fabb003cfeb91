// Signing in (the page is routed by the shell itself: it is the one page without a session).
import { defineFeature } from '@/app/feature'

export default defineFeature({
  id: 'auth',
  scope: 'community',
  pages: [],
  messages: {
    'zh-CN': {
      title: '登录',
      username: '账号',
      password: '密码',
      submit: '登录',
      required: '请输入账号和密码',
      wrong: '账号或密码错误，或账号已停用。',
      appAccount: '管理后台仅供街道、社区及案件工作人员使用，居民请使用手机应用。',
    },
    en: {
      title: 'Sign in',
      username: 'User name',
      password: 'Password',
      submit: 'Sign in',
      required: 'Enter your user name and password',
      wrong: 'Wrong user name or password, or the account is disabled.',
      appAccount: 'The back office is for street, community and case staff; residents use the app.',
    },
  },
})
