// Access: who came through which door, how, and whether the box let them in (the pass log).
import { Tickets } from '@element-plus/icons-vue'
import { defineFeature } from '@/app/feature'

export default defineFeature({
  id: 'access',
  scope: 'community',
  pages: [
    {
      path: 'passes',
      name: 'passes',
      component: () => import('./pages/PassesPage.vue'),
      access: 'community',
      title: 'access.passes',
      menu: { group: 'access', order: 1, icon: Tickets },
    },
  ],
  messages: {
    'zh-CN': {
      passes: '通行记录',
      estate: '小区',
      door: '门',
      person: '人员编号',
      method: '方式',
      result: '结果',
      allowed: '通过',
      refused: '拒绝',
      all: '全部',
      methods: { face: '人脸', one_tap: '一键开门', staff: '工作人员', card: '刷卡', visitor: '访客' },
      col: { at: '时间', door: '门', person: '人员', method: '方式', result: '结果', reason: '原因', photo: '抓拍' },
      unknownPerson: '未登记人员',
      thumbnail: '人脸抓拍',
      personPasses: '只看此人',
    },
    en: {
      passes: 'Pass log',
      estate: 'Estate',
      door: 'Door',
      person: 'Person id',
      method: 'Method',
      result: 'Result',
      allowed: 'Allowed',
      refused: 'Refused',
      all: 'All',
      methods: { face: 'Face', one_tap: 'One-tap', staff: 'Staff', card: 'Card', visitor: 'Visitor' },
      col: { at: 'Time', door: 'Door', person: 'Person', method: 'Method', result: 'Result', reason: 'Reason', photo: 'Photo' },
      unknownPerson: 'Unregistered',
      thumbnail: 'Face photo',
      personPasses: 'Only this person',
    },
  },
})
