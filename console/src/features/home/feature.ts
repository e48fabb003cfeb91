// Home: the community's figures at a glance — open alarms by severity, pending cases and those
// due soon or overdue, today's passes, boxes and devices offline. Each figure opens its list.
import { HomeFilled } from '@element-plus/icons-vue'
import { defineFeature } from '@/app/feature'

export default defineFeature({
  id: 'home',
  scope: 'community',
  pages: [
    {
      path: 'home',
      name: 'home',
      component: () => import('./pages/HomePage.vue'),
      access: 'community',
      title: 'home.title',
      menu: { group: 'overview', order: 1, icon: HomeFilled },
    },
  ],
  messages: {
    'zh-CN': {
      title: '首页',
      asOf: '数据截至 {at}，每 30 秒刷新',
      alarms: '未关闭告警',
      alarmsUnacked: '其中 {n} 条未确认',
      noAlarms: '没有未关闭的告警',
      cases: '案件',
      casesPending: '待受理',
      casesDueSoon: '24 小时内到期',
      casesOverdue: '已超期',
      passes: '今日通行',
      passesRefused: '其中拒绝 {n} 次',
      boxes: '边缘盒离线',
      boxesOf: '共 {n} 台在用',
      devices: '设备离线',
      devicesOf: '共 {n} 台在用',
      open: '查看列表',
    },
    en: {
      title: 'Home',
      asOf: 'As of {at}; refreshed every 30 s',
      alarms: 'Open alarms',
      alarmsUnacked: '{n} not acknowledged',
      noAlarms: 'No open alarms',
      cases: 'Cases',
      casesPending: 'Pending',
      casesDueSoon: 'Due within 24 h',
      casesOverdue: 'Overdue',
      passes: "Today's passes",
      passesRefused: '{n} refused',
      boxes: 'Boxes offline',
      boxesOf: '{n} in service',
      devices: 'Devices offline',
      devicesOf: '{n} in service',
      open: 'Open the list',
    },
  },
})
